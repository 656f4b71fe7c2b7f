/// HNSW search over one snapshot: greedy descent through the upper layers, then a beam search
/// of layer 0. It reads nodes only through `source`, and is compiled once per kind of source.
struct HNSWSearch<Source: NodeSource> {
    var source: Source
    let scratch: SearchScratch
    /// How many neighbours ahead of the one being compared a search asks memory for: 2 was
    /// fastest on MiniLM (1.3× over all at once, 1.25× over 1 ahead, 4 no better).
    static var prefetchLookahead: Int { 2 }

    /// The `k` nearest nodes to `query` (a validated vector), searching layer 0 with `ef` ≥ k.
    /// `accept` limits which nodes may be results (all nodes are still walked through).
    mutating func search(
        _ query: UnsafeRawPointer, norm: Float, count k: Int, ef: Int, accept: ((UInt32) -> Bool)? = nil
    ) throws -> [Candidate] {
        scratch.damaged.removeAll(keepingCapacity: true)
        source.beginSearch(query)
        defer { source.endSearch() }
        guard let entry = try source.entryPoint(), let d = try source.distance(query, norm: norm, to: entry.node, layer: entry.level)
        else { return [] }
        var current = Candidate(distance: d, node: entry.node)
        if entry.level > 0 {
            for layer in stride(from: entry.level, through: 1, by: -1) {
                current = try greedy(query, norm: norm, from: current, layer: layer)
            }
        }
        scratch.lastRegion = current.node
        var found = try searchLayer(query, norm: norm, entries: [current], ef: max(ef, k), layer: 0, accept: accept)
        // the candidates were ranked by approximate distances; the nearest of them are ranked
        // again by their stored vectors, so results and their distances are exact
        if Source.isApproximate { found = try exactlyRanked(Array(found.prefix(source.rerankCount(forResults: k))), query, norm: norm) }
        return Array(found.prefix(k))
    }

    /// `found` with exact distances, nearest first (nodes without a readable vector left out).
    mutating func exactlyRanked(_ found: [Candidate], _ query: UnsafeRawPointer, norm: Float) throws -> [Candidate] {
        var exact: [Candidate] = []
        exact.reserveCapacity(found.count)
        for candidate in found { source.prefetchExact(candidate.node) }
        for candidate in found {
            if let d = try source.exactDistance(query, norm: norm, to: candidate.node) { exact.append(Candidate(distance: d, node: candidate.node)) }
        }
        exact.sort()
        return exact
    }

    /// The candidates a node of `level` would be linked from: per layer (index 0 the bottom), the
    /// `ef` nearest nodes a search finds; empty layers above the graph's top.
    mutating func candidatePools(_ query: UnsafeRawPointer, norm: Float, level: Int, ef: Int) throws -> [[Candidate]] {
        var pools = Array(repeating: [Candidate](), count: level + 1)
        source.beginSearch(query)
        defer { source.endSearch() }
        guard let entry = try source.entryPoint() else { return pools }
        guard let entryDistance = try source.distance(query, norm: norm, to: entry.node, layer: entry.level) else {
            throw StoreError.corruptRecord(node: entry.node)
        }
        var current = Candidate(distance: entryDistance, node: entry.node)
        if entry.level > level {
            for layer in stride(from: entry.level, to: level, by: -1) {
                current = try greedy(query, norm: norm, from: current, layer: layer)
            }
        }
        var entries = [current]
        for layer in stride(from: min(level, entry.level), through: 0, by: -1) {
            let found = try searchLayer(query, norm: norm, entries: entries, ef: ef, layer: layer)
            pools[layer] = Source.isApproximate ? try exactlyRanked(found, query, norm: norm) : found
            if !found.isEmpty { entries = found }
        }
        return pools
    }

    /// Greedy walk in `layer` from `start` toward `query`: the nearest node it reaches.
    mutating func greedy(_ query: UnsafeRawPointer, norm: Float, from start: Candidate, layer: Int) throws -> Candidate {
        var links = ContiguousArray<UInt32>()
        swap(&links, &scratch.links)
        defer { swap(&links, &scratch.links) }
        var current = start
        var improved = true
        while improved {
            improved = false
            guard try source.links(of: current.node, layer: layer, into: &links) else { break }
            if let step = source.nearest(of: links, than: current, norm: norm) {
                current = step.best
                improved = step.improved
                continue
            }
            for neighbour in links {
                guard let d = try source.distance(query, norm: norm, to: neighbour, layer: layer) else { continue }
                let candidate = Candidate(distance: d, node: neighbour)
                if candidate < current {
                    current = candidate
                    improved = true
                }
            }
        }
        return current
    }

    /// Beam search in `layer`: the `ef` nearest nodes found from `entries`, nearest first.
    /// `accept` limits which nodes may be results (all nodes are still walked through).
    mutating func searchLayer(
        _ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int, layer: Int,
        accept: ((UInt32) -> Bool)? = nil
    ) throws -> [Candidate] {
        if layer == 0, accept == nil, let fast = source.searchLayerZero(query, norm: norm, entries: entries, ef: ef) {
            scratch.visitedNodes &+= fast.visited
            return fast.found
        }
        // The working state moves out of the shared scratch object for the loop: local values
        // need no exclusivity checks, and swapping back keeps their buffers for the next search.
        var visited = VisitedSet(), candidates = CandidateHeap(nearestFirst: true)
        var results = CandidateHeap(nearestFirst: false), links = ContiguousArray<UInt32>()
        swap(&visited, &scratch.visited)
        swap(&candidates, &scratch.candidates)
        swap(&results, &scratch.results)
        swap(&links, &scratch.links)
        defer {
            swap(&visited, &scratch.visited)
            swap(&candidates, &scratch.candidates)
            swap(&results, &scratch.results)
            swap(&links, &scratch.links)
        }
        var visitedCount = 0
        defer { scratch.visitedNodes &+= visitedCount }
        visited.reset(capacity: try source.nodeBound())
        candidates.removeAll()
        results.removeAll()
        for entry in entries where visited.insert(entry.node) {
            candidates.push(entry)
            if accept?(entry.node) ?? true { results.push(entry) }
        }
        while let nearest = candidates.pop() {
            if results.count >= ef, let worst = results.top, worst < nearest { break }
            guard try source.links(of: nearest.node, layer: layer, into: &links) else { continue }
            // the unvisited neighbours, moved to the front of the list in place (appending them to a
            // second array checked its uniqueness on every append)
            let count = links.withUnsafeMutableBufferPointer { buffer -> Int in
                var kept = 0
                for index in buffer.indices where visited.insert(buffer[index]) {
                    buffer[kept] = buffer[index]
                    kept &+= 1
                }
                return kept
            }
            visitedCount &+= count
            // a few neighbours ahead are requested from memory while the current one is compared:
            // requesting them all at once fills the processor's miss buffers and stalls it
            // (the lookup that finds a neighbour's entry is requested twice as far ahead, so the
            // entry's address is known by the time its own request is made)
            let ahead = Self.prefetchLookahead
            for index in 0..<min(2 * ahead, count) { source.prefetchLookup(links[index]) }
            for index in 0..<min(ahead, count) { source.prefetch(links[index]) }
            for index in 0..<count {
                let neighbour = links[index]
                if index + 2 * ahead < count { source.prefetchLookup(links[index + 2 * ahead]) }
                if index + ahead < count { source.prefetch(links[index + ahead]) }
                guard let d = try source.distance(query, norm: norm, to: neighbour, layer: layer) else { continue }
                let candidate = Candidate(distance: d, node: neighbour)
                if results.count < ef || candidate < (results.top ?? candidate) {
                    candidates.push(candidate)
                    if accept?(neighbour) ?? true {
                        results.push(candidate)
                        if results.count > ef { _ = results.pop() }
                    }
                }
            }
        }
        var ordered = Array(results.elements)
        ordered.sort()
        return ordered
    }
}
