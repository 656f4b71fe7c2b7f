/// The HNSW graph of a store, operating inside one transaction: searches read links and vectors
/// in place from the map; inserts and deletes (in `HNSWGraph+Insert`, `+Delete`) change links
/// in the same write transaction as the vector they index.
final class HNSWGraph {
    let txn: Transaction
    let tables: StoreTables
    let dimension: Int
    let metric: Metric
    let parameters: HNSWParameters
    let codec: VectorCodec
    let scratch: SearchScratch
    /// Addresses of records in this snapshot, shared by its readers; nil in write transactions.
    let locations: SnapshotLocations?
    /// The writer's cache of vectors and links; nil in read transactions.
    let writerCache: WriterCache?
    /// Whether misses are added to `writerCache`: true for the writer; false for the parallel
    /// searches of a batch, which share the cache read-only and fall back to their snapshot.
    let populatesCache: Bool

    init(
        txn: Transaction, tables: StoreTables, dimension: Int, metric: Metric, parameters: HNSWParameters,
        codec: VectorCodec, scratch: SearchScratch, locations: SnapshotLocations?, writerCache: WriterCache?,
        populatesCache: Bool = true
    ) {
        self.populatesCache = populatesCache
        self.txn = txn
        self.tables = tables
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.codec = codec
        self.scratch = scratch
        self.locations = locations
        self.writerCache = writerCache
    }

    /// The node searches start from and its level; nil for an empty graph.
    func entryPoint() throws -> (node: UInt32, level: Int)? {
        guard let node = try txn.integer(.graphEntry, in: tables.meta, as: UInt32.self),
              let level = try txn.integer(.graphMaxLevel, in: tables.meta, as: UInt32.self)
        else { return nil }
        return (node, Int(level))
    }

    /// The node ids below this bound are the ones that may exist.
    func nodeBound() throws -> Int {
        Int(try txn.integer(.nextNode, in: tables.meta, as: UInt32.self) ?? 0)
    }

    // MARK: vectors

    /// Passes `node`'s vector (in place when stored raw) and norm to `body`; nil when the node has
    /// no vector. Records are checked against their checksum when first read in a snapshot (or by
    /// the writer); later reads in the same snapshot use the recorded, already checked address.
    @inline(__always)
    func withVector<R>(_ node: UInt32, _ body: (UnsafeRawPointer, Float) throws -> R) throws -> R? {
        if let writerCache {
            if let (values, norm) = writerCache.vector(node) { return try body(values, norm) }
            if populatesCache { return try fetchVectorIntoCache(node, writerCache, body) }
        }
        if let locations, let record = locations.vectorRecord(node) {
            let norm = Float(bitPattern: UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            return try body(record + VectorRecord.headerSize, norm)
        }
        let dimension = self.dimension
        let codec = self.codec
        let locations = self.locations
        return try node.withKeyBytes { key in
            try txn.withValue(in: tables.vectors, forKey: key) { record -> R in
                guard record.count >= VectorRecord.headerSize, record[0] == VectorRecord.layoutVersion,
                      record.littleEndian(at: 4, as: UInt32.self) == UInt32(dimension)
                else { throw StoreError.corruptRecord(node: node) }
                // the checksum is checked here, once per node per snapshot; the addresses recorded
                // for later searches of this snapshot are of checked records only
                let (values, norm) = try codec.decode(record, node: node)
                if record[1] == VectorRecord.Codec.raw.rawValue { locations?.setVectorRecord(node, record.baseAddress!) }
                return try body(values, norm)
            }
        }
    }

    /// Starts loading `node`'s vector into the processor cache when its address is known.
    @inline(__always)
    func prefetchVector(_ node: UInt32) {
        if let writerCache, writerCache.vector(node) != nil {
            writerCache.prefetchVector(node)
        } else if let locations {
            locations.prefetchVector(node)
        }
    }

    /// Reads `node`'s vector from the map for the writer and keeps a copy in its cache.
    private func fetchVectorIntoCache<R>(
        _ node: UInt32, _ cache: WriterCache, _ body: (UnsafeRawPointer, Float) throws -> R
    ) throws -> R? {
        let codec = self.codec
        return try node.withKeyBytes { key in
            try txn.withValue(in: tables.vectors, forKey: key) { record -> R in
                let (values, norm) = try codec.decode(record, node: node)
                cache.setVector(node, values, norm: norm)
                return try body(values, norm)
            }
        }
    }

    /// The distance from `query` to `node`, or nil when the node is missing or damaged (then it is
    /// noted in `scratch.damaged`).
    @inline(__always)
    func distance(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32) throws -> Float? {
        let d: Float?
        do {
            d = try withVector(node) { values, norm in
                Distance.between(query, norm: queryNorm, values, norm: norm, count: dimension, metric: metric)
            }
        } catch StoreError.corruptRecord {
            scratch.damaged.append(node)
            return nil
        }
        guard let d else { return nil }
        if d.isNaN {
            // stored values are finite, so NaN means damaged bits: confirm with the checksum
            scratch.damaged.append(node)
            return nil
        }
        return d
    }

    /// Copies `node`'s vector into scratch slot `slot`; returns its norm, or nil when missing or damaged.
    func loadVector(_ node: UInt32, intoSlot slot: Int) throws -> Float? {
        let bytes = dimension * 4
        let target = scratch.slot(slot)
        do {
            return try withVector(node) { values, norm in
                target.copyMemory(from: values, byteCount: bytes)
                return norm
            }
        } catch StoreError.corruptRecord {
            scratch.damaged.append(node)
            return nil
        }
    }

    // MARK: links

    /// Copies the out-links of `node` in `layer` into `links`; false when the node has no intact
    /// graph record (it is then noted as damaged, or was deleted).
    @inline(__always)
    func loadLinks(of node: UInt32, layer: Int, into links: inout ContiguousArray<UInt32>) throws -> Bool {
        links.removeAll(keepingCapacity: true)
        if let writerCache {
            if writerCache.appendLinks(of: node, layer: layer, to: &links) { return true }
        }
        if writerCache != nil && populatesCache {
            guard let record = try self.node(node) else { return false }
            if layer <= record.level { links.append(contentsOf: record.out[layer]) }
            return true
        }
        if layer == 0, let locations, let block = locations.layerZeroLinks(node) {
            let count = Int(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
            for i in 0..<count {
                links.append(UInt32(littleEndian: block.loadUnaligned(fromByteOffset: GraphRecord.layerHeaderSize + 4 * i, as: UInt32.self)))
            }
            return true
        }
        let locations = self.locations
        let found = try node.withKeyBytes { key in
            try txn.withValue(in: tables.graph, forKey: key) { record -> Bool in
                guard GraphRecord.isIntact(record) else { return false }
                if layer == 0 { locations?.setLayerZeroLinks(node, record.baseAddress! + GraphRecord.headerSize) }
                let bytes = GraphRecord.outLinks(of: record, layer: layer)
                for i in 0..<(bytes.count / 4) { links.append(bytes.littleEndian(at: 4 * i)) }
                return true
            }
        }
        guard let found else { return false }
        if !found { scratch.damaged.append(node) }
        return found
    }

    /// The decoded links of `node`, or nil when it has no record. A damaged record is an error.
    func node(_ node: UInt32) throws -> GraphRecord.Node? {
        if let writerCache {
            if let cached = writerCache.node(node) { return cached }
            let decoded = try decodeNode(node)
            if populatesCache, let decoded { writerCache.setNode(node, decoded) }
            return decoded
        }
        return try decodeNode(node)
    }

    private func decodeNode(_ node: UInt32) throws -> GraphRecord.Node? {
        try node.withKeyBytes { key in
            try txn.withValue(in: tables.graph, forKey: key) { record -> GraphRecord.Node in
                guard GraphRecord.isIntact(record) else { throw StoreError.corruptGraph(node: node) }
                return GraphRecord.decode(record)
            }
        }
    }

    // MARK: search

    /// Greedy walk in `layer` from `start` toward `query`: the nearest node it reaches.
    func greedy(
        _ query: UnsafeRawPointer, norm: Float, from start: Candidate, layer: Int
    ) throws -> Candidate {
        var links = ContiguousArray<UInt32>()
        swap(&links, &scratch.links)
        defer { swap(&links, &scratch.links) }
        var current = start
        var improved = true
        while improved {
            improved = false
            guard try loadLinks(of: current.node, layer: layer, into: &links) else { break }
            for neighbour in links {
                guard let d = try distance(query, norm: norm, to: neighbour) else { continue }
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
    func searchLayer(
        _ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int, layer: Int,
        accept: ((UInt32) -> Bool)? = nil
    ) throws -> [Candidate] {
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
        visited.reset(capacity: try nodeBound())
        candidates.removeAll()
        results.removeAll()
        for entry in entries where visited.insert(entry.node) {
            candidates.push(entry)
            if accept?(entry.node) ?? true { results.push(entry) }
        }
        while let nearest = candidates.pop() {
            if results.count >= ef, let worst = results.top, worst < nearest { break }
            guard try loadLinks(of: nearest.node, layer: layer, into: &links) else { continue }
            if let first = links.first { prefetchVector(first) }
            for (index, neighbour) in links.enumerated() {
                // the next vector loads while this distance is computed
                if index + 1 < links.count { prefetchVector(links[index + 1]) }
                guard visited.insert(neighbour) else { continue }
                guard let d = try distance(query, norm: norm, to: neighbour) else { continue }
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

    /// The `k` nearest nodes to `query` (a validated vector), searching layer 0 with `ef` ≥ k.
    func search(
        _ query: UnsafeRawPointer, norm: Float, count k: Int, ef: Int, accept: ((UInt32) -> Bool)? = nil
    ) throws -> [Candidate] {
        scratch.damaged.removeAll(keepingCapacity: true)
        guard let entry = try entryPoint(), let d = try distance(query, norm: norm, to: entry.node) else { return [] }
        var current = Candidate(distance: d, node: entry.node)
        if entry.level > 0 {
            for layer in stride(from: entry.level, through: 1, by: -1) {
                current = try greedy(query, norm: norm, from: current, layer: layer)
            }
        }
        let found = try searchLayer(query, norm: norm, entries: [current], ef: max(ef, k), layer: 0, accept: accept)
        return Array(found.prefix(k))
    }
}
