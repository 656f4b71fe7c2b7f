/// Insertion: find the new node's neighbours layer by layer, link both ways, prune the lists that
/// overflow. Everything happens in the caller's write transaction.
extension HNSWWriter {
    /// Links `node`, whose vector `query` was just written, into the graph at `level`.
    func insert(_ node: UInt32, vector query: UnsafeRawPointer, norm: Float, level: Int) throws {
        try connect(node, vector: query, norm: norm, level: level, pools: try candidatePools(query, norm: norm, level: level))
    }

    /// The candidates a node of `level` would be linked from: per layer (index 0 the bottom), the
    /// `efConstruction` nearest nodes a search of this transaction's graph finds.
    func candidatePools(_ query: UnsafeRawPointer, norm: Float, level: Int) throws -> [[Candidate]] {
        var search = searcher
        return try search.candidatePools(query, norm: norm, level: level, ef: parameters.efConstruction)
    }

    /// Links `node` (vector `query`, at `level`) to the best of `pools`, both ways: to `planned`
    /// per layer when a batch plan chose them already (`BatchLinkPlanner`), else to the ones the
    /// selection heuristic keeps.
    func connect(
        _ node: UInt32, vector query: UnsafeRawPointer, norm: Float, level: Int, pools: [[Candidate]],
        planned: [[Candidate]]? = nil
    ) throws {
        var record = GraphRecord.Node(level: level)
        guard let entry = try entryPoint() else {
            try write(record, for: node)
            try setEntry(node, level: level)
            try addToLevelIndex(node, level: level)
            return
        }
        var chosenPerLayer: [(layer: Int, chosen: [Candidate])] = []
        for layer in stride(from: min(level, pools.count - 1), through: 0, by: -1) where !pools[layer].isEmpty {
            // never a link to itself, nor to a node that is not in this layer (a candidate from
            // another snapshot may have moved since)
            let selected = try planned.flatMap { layer < $0.count ? $0[layer] : nil }
                ?? selectNeighbours(from: pools[layer].filter { $0.node != node }, limit: parameters.m)
            let chosen = try selected.filter { $0.node != node }
                .filter { candidate in try self.node(candidate.node).map { $0.level >= layer } ?? false }
            record.out[layer] = chosen.map(\.node)
            chosenPerLayer.append((layer, chosen))
        }
        for (layer, chosen) in chosenPerLayer {
            for neighbour in chosen where try link(from: neighbour.node, to: node, distance: neighbour.distance, layer: layer) {
                record.in[layer].append(neighbour.node)
            }
            // every neighbour pruned the new node away, or only its copies link to it: it could
            // become unreachable, so the nearest other node that can spare a link takes one
            if try !hasSourceOtherThanCopies(among: record.in[layer], of: query, norm: norm) {
                for candidate in pools[layer]
                where candidate.node != node && candidate.distance > Self.copyDistance && !record.in[layer].contains(candidate.node) {
                    if try forceLink(from: candidate.node, to: node, layer: layer) {
                        record.in[layer].append(candidate.node)
                        break
                    }
                }
            }
            if record.in[layer].isEmpty {
                for neighbour in chosen where try forceLink(from: neighbour.node, to: node, layer: layer) {
                    record.in[layer].append(neighbour.node)
                    break
                }
            }
        }
        try write(record, for: node)
        if level > entry.level { try setEntry(node, level: level) }
        try addToLevelIndex(node, level: level)
    }

    /// The neighbours `NeighbourSelection` keeps of `candidates` (nearest first to the base vector),
    /// reading their vectors through the writer's cache (damaged ones are left out).
    func selectNeighbours(from candidates: [Candidate], limit: Int) throws -> [Candidate] {
        try NeighbourSelection.select(from: candidates, limit: limit, distance: \.distance, metric: metric, scratch: scratch) { candidate, body in
            try withCheckedVector(candidate.node, body)
        }
    }

    /// Tries the link `source → target`, pruning `source`'s list when it is full; when
    /// `targetLinksBack` (a new node linked to `source`), also records `target → source` in
    /// `source`'s in-links. Returns whether `source → target` was kept.
    func link(from source: UInt32, to target: UInt32, distance: Float, layer: Int, targetLinksBack: Bool = true) throws -> Bool {
        guard var record = try self.node(source), layer <= record.level else { return false }
        if targetLinksBack { record.in[layer].append(target) }
        let limit = parameters.maximumLinks(layer: layer)
        if record.out[layer].count < limit {
            record.out[layer].append(target)
            try write(record, for: source)
            return true
        }
        let kept = try prune(&record, of: source, layer: layer, adding: Candidate(distance: distance, node: target), pending: target)
        try write(record, for: source)
        return kept.contains(target)
    }

    /// Re-selects `record`'s out-links in `layer` from its current ones plus `extra`, keeping any
    /// link that is the last in-link of its target (so no node becomes unreachable), and updates
    /// the in-links of the targets it drops. `pending` is a node whose record is not written yet.
    /// Returns the kept targets.
    @discardableResult
    func prune(
        _ record: inout GraphRecord.Node, of source: UInt32, layer: Int, adding extra: Candidate?,
        pending: UInt32? = nil, candidates extraCandidates: [UInt32] = [], fillToM: Bool = false
    ) throws -> Set<UInt32> {
        let limit = parameters.maximumLinks(layer: layer)
        let baseSlot = limit + 1, victimSlot = limit + 2
        scratch.reserveSlots(limit + 3)
        guard let baseNorm = try loadVector(source, intoSlot: baseSlot) else {
            // the source's own vector is damaged: distances from it mean nothing, so its list
            // stays as it is (the extra link is not taken) until a repair rewrites the node
            record.out[layer] = Array(record.out[layer].prefix(limit))
            return Set(record.out[layer])
        }
        let base = scratch.slot(baseSlot)
        var pool: [Candidate] = []
        var seen = Set<UInt32>([source])
        if let extra {
            pool.append(extra)
            seen.insert(extra.node)
        }
        for other in record.out[layer] + extraCandidates where seen.insert(other).inserted {
            // a damaged neighbour drops out of the pool instead of failing the write
            if let d = try distance(base, norm: baseNorm, to: other) { pool.append(Candidate(distance: d, node: other)) }
        }
        pool.sort()
        var selected = try selectNeighbours(from: pool, limit: limit)
        if fillToM && selected.count < parameters.m {
            // a repair keeps the nearest of the pruned candidates too, up to M links: the deleted
            // node's neighbourhood loses a hub, and spare links keep its region reachable
            let chosen = Set(selected.map(\.node))
            selected += pool.lazy.filter { !chosen.contains($0.node) }.prefix(parameters.m - selected.count)
            selected.sort()
        }
        var keptSet = Set(selected.map(\.node))
        let before = Set(record.out[layer])

        // a dropped target whose only in-link is this one (or whose others come from its
        // copies) could become unreachable: keep it
        var dropped = pool.filter { !keptSet.contains($0.node) && before.contains($0.node) }
        var protected = Set<UInt32>()
        var droppedRecords: [UInt32: GraphRecord.Node] = [:]
        while let victim = dropped.first {
            dropped.removeFirst()
            guard let victimRecord = try self.node(victim.node) else { continue }
            droppedRecords[victim.node] = victimRecord
            let otherIn = victimRecord.in.indices.contains(layer) ? victimRecord.in[layer].filter { $0 != source } : []
            guard try !hasInLinkOtherThanCopies(victim.node, among: otherIn, slot: victimSlot) else { continue }
            protected.insert(victim.node)
            if selected.count >= limit,
               let replaceable = selected.lastIndex(where: { !protected.contains($0.node) && $0.node != pending }) {
                let evicted = selected.remove(at: replaceable)
                keptSet.remove(evicted.node)
                if before.contains(evicted.node) { dropped.append(evicted) }
            }
            selected.append(victim)
            keptSet.insert(victim.node)
            selected.sort()
        }
        // every other link is some node's last in-link: the new one is not taken, so the list
        // stays within its bound
        if selected.count > limit, let pending, let index = selected.firstIndex(where: { $0.node == pending }) {
            selected.remove(at: index)
            keptSet.remove(pending)
        }

        record.out[layer] = selected.map(\.node)
        for target in before where !keptSet.contains(target) {
            guard var targetRecord = try droppedRecords[target] ?? self.node(target),
                  targetRecord.in.indices.contains(layer) else { continue }
            targetRecord.in[layer].removeAll { $0 == source }
            try write(targetRecord, for: target)
        }
        return keptSet
    }

    /// Adds the link `source → target` in `layer` even when `source`'s list is full, by dropping
    /// its last link whose target keeps another in-link. The caller records `source` in
    /// `target`'s in-links. Returns false when no link could be spared.
    func forceLink(from source: UInt32, to target: UInt32, layer: Int) throws -> Bool {
        guard var record = try self.node(source), layer <= record.level else { return false }
        scratch.reserveSlots(2)
        if record.out[layer].contains(target) { return true }
        if record.out[layer].count >= parameters.maximumLinks(layer: layer) {
            var dropped = false
            for index in record.out[layer].indices.reversed() {
                let other = record.out[layer][index]
                guard var otherRecord = try self.node(other), layer <= otherRecord.level,
                      try hasInLinkOtherThanCopies(other, among: otherRecord.in[layer].filter { $0 != source }, slot: 1)
                else { continue }
                record.out[layer].remove(at: index)
                otherRecord.in[layer].removeAll { $0 == source }
                try write(otherRecord, for: other)
                dropped = true
                break
            }
            guard dropped else { return false }
        }
        record.out[layer].append(target)
        try write(record, for: source)
        return true
    }

    // MARK: records and bookkeeping

    /// Writes `record` as `node`'s graph record.
    func write(_ record: GraphRecord.Node, for node: UInt32) throws {
        if let reachability, reachability.isBuilt {
            do {
                reachability.linksChanged(of: node, from: try self.node(node)?.out.first, to: record.out.first ?? [])
            } catch StoreError.corruptRecord {
                // what the damaged record linked to is unknown: the tree is built again
                reachability.invalidate()
            }
        }
        let bytes = GraphRecord.encode(record, layout: graphLayout)
        try node.withKeyBytes { key in
            try bytes.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.graph) }
        }
        nodes.cache.setNode(node, record)
        noteChanged(node)
    }

    /// Makes `node` the entry point of the graph.
    func setEntry(_ node: UInt32, level: Int) throws {
        try txn.setInteger(node, for: .graphEntry, in: tables.meta)
        try txn.setInteger(UInt32(level), for: .graphMaxLevel, in: tables.meta)
    }

    /// Notes a node of level ≥ 1 in the level index.
    func addToLevelIndex(_ node: UInt32, level: Int) throws {
        guard level >= 1 else { return }
        try UInt32(level).withKeyBytes { key in
            try node.withKeyBytes { try txn.put($0, forKey: key, in: tables.levels) }
        }
    }

    /// Removes a node of level ≥ 1 from the level index.
    func removeFromLevelIndex(_ node: UInt32, level: Int) throws {
        guard level >= 1 else { return }
        try UInt32(level).withKeyBytes { key in
            try node.withKeyBytes { _ = try txn.delete(key, value: $0, in: tables.levels) }
        }
    }
}
