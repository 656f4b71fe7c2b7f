internal import CFeatureMemoryShims
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
    /// The store's node cache: read transactions search through it and fill it on misses; write
    /// transactions stamp the nodes they change in it.
    let nodeCache: NodeCache?
    /// Whether searches read from `nodeCache` (read transactions only).
    let readsNodeCache: Bool
    /// Whether a node read on a cache miss queues its neighbours in `scratch.pendingPrefetch`.
    var collectsGraphPrefetch = false
    /// The snapshot this transaction reads (for read transactions) or writes.
    let snapshot: UInt64

    init(
        txn: Transaction, tables: StoreTables, dimension: Int, metric: Metric, parameters: HNSWParameters,
        codec: VectorCodec, scratch: SearchScratch, locations: SnapshotLocations?, writerCache: WriterCache?,
        populatesCache: Bool = true, nodeCache: NodeCache? = nil
    ) {
        self.populatesCache = populatesCache
        self.nodeCache = nodeCache
        self.snapshot = UInt64(txn.snapshotID)
        readsNodeCache = nodeCache != nil && txn.isReadOnly
        if readsNodeCache { nodeCache?.observe(snapshot: snapshot) }
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
        if let locations {
            if let known = locations.entryPoint { return known }
            let entry = try entryPointFromMeta()
            locations.setEntryPoint(entry)
            return entry
        }
        return try entryPointFromMeta()
    }

    private func entryPointFromMeta() throws -> (node: UInt32, level: Int)? {
        guard let node = try txn.integer(.graphEntry, in: tables.meta, as: UInt32.self),
              let level = try txn.integer(.graphMaxLevel, in: tables.meta, as: UInt32.self)
        else { return nil }
        return (node, Int(level))
    }

    /// The node ids below this bound are the ones that may exist.
    func nodeBound() throws -> Int {
        // a snapshot's location table is sized by its node bound
        if let locations { return locations.capacity }
        return try StoreCounters.nodeBound(in: txn, tables: tables)
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
                locations?.noteCheckedVectorRecord(node, record)
                return try body(values, norm)
            }
        }
    }

    /// Starts loading `node`'s vector into the processor cache when its address is known.
    @inline(__always)
    func prefetchVector(_ node: UInt32) {
        if readsNodeCache, let nodeCache {
            nodeCache.prefetch(node)
        } else if let writerCache, writerCache.vector(node) != nil {
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
        if readsNodeCache {
            if let nodeCache, let d = cachedDistance(query, norm: queryNorm, sum: scratch.querySum, to: node, in: nodeCache.view) { return d }
            return try distanceOnCacheMiss(query, norm: queryNorm, to: node)
        }
        return try distanceFromMap(query, norm: queryNorm, to: node)
    }

    /// The distance to `node` from its node cache entry; nil on a miss.
    @inline(__always)
    func cachedDistance(
        _ query: UnsafeRawPointer, norm queryNorm: Float, sum querySum: Float, to node: UInt32, in nodeCache: NodeCacheView,
        epoch: UInt32 = 0
    ) -> Float? {
        let dimension = self.dimension, metric = self.metric, offset = nodeCache.vectorOffset
        if nodeCache.format == .bytes {
            return nodeCache.withEntry(node, snapshot: snapshot, epoch: epoch) { base in
                let codes = (base + offset).assumingMemoryBound(to: UInt8.self)
                let step = base.load(fromByteOffset: 40, as: Float.self), low = base.load(fromByteOffset: 48, as: Float.self)
                switch metric {
                case .l2:
                    return fm_byte_l2_squared(query, codes, low, step, dimension)
                case .innerProduct:
                    return 1 - (low * querySum + step * fm_byte_dot(query, codes, dimension))
                case .cosine:
                    return 1 - (low * querySum + step * fm_byte_dot(query, codes, dimension))
                        / (queryNorm * base.load(fromByteOffset: 32, as: Float.self))
                }
            }
        }
        return nodeCache.withEntry(node, snapshot: snapshot, epoch: epoch) { base in
            let values = (base + offset).assumingMemoryBound(to: UInt16.self)
            let scale = base.load(fromByteOffset: 40, as: Float.self)
            switch metric {
            case .l2:
                return fm_half_l2_squared(query, values, scale, dimension)
            case .innerProduct:
                return 1 - scale * fm_half_dot(query, values, dimension)
            case .cosine:
                return 1 - scale * fm_half_dot(query, values, dimension) / (queryNorm * base.load(fromByteOffset: 32, as: Float.self))
            }
        }
    }

    /// The distance to `node` read from the map, which also puts the node in the node cache
    /// (unless the prefetch thread is loading the whole store: a fill costs more than the read,
    /// and that thread gets there soon).
    func distanceOnCacheMiss(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32) throws -> Float? {
        let d = try distanceFromMap(query, norm: queryNorm, to: node)
        if d != nil, nodeCache?.isLoadingWhole == false { try cacheNode(node, origin: .demand) }
        return d
    }

    /// The exact distance to `node`, read from the map (or the writer's cache), never the
    /// node cache's float16 copies: for exhaustive search and re-ranking.
    @inline(__always)
    func distanceFromMap(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32) throws -> Float? {
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
        if layer == 0, readsNodeCache, let nodeCache, cachedLinks(of: node, into: &links, in: nodeCache.view) { return true }
        return try loadLinksFromMap(of: node, layer: layer, into: &links)
    }

    /// Copies `node`'s layer-0 links from its node cache entry; false on a miss.
    @inline(__always)
    func cachedLinks(of node: UInt32, into links: inout ContiguousArray<UInt32>, in nodeCache: NodeCacheView, epoch: UInt32 = 0) -> Bool {
        let maximum = nodeCache.maximumLinks
        let copied: Void? = nodeCache.withEntry(node, snapshot: snapshot, epoch: epoch) { base in
            links.removeAll(keepingCapacity: true)
            let count = min(Int(base.load(fromByteOffset: 36, as: UInt16.self)), maximum)
            for i in 0..<count { links.append(base.load(fromByteOffset: NodeCache.headerSize + 4 * i, as: UInt32.self)) }
        }
        return copied != nil
    }

    /// `loadLinks`, read from the map (or the writer's cache), not the node cache.
    @inline(__always)
    func loadLinksFromMap(of node: UInt32, layer: Int, into links: inout ContiguousArray<UInt32>) throws -> Bool {
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
        if layer > 0, let locations, let record = locations.graphRecord(node) {
            let bytes = GraphRecord.outLinks(of: record, layer: layer)
            for i in 0..<(bytes.count / 4) { links.append(bytes.littleEndian(at: 4 * i)) }
            return true
        }
        let locations = self.locations
        let found = try node.withKeyBytes { key in
            try txn.withValue(in: tables.graph, forKey: key) { record -> Bool in
                guard GraphRecord.isIntact(record) else { return false }
                locations?.noteIntactGraphRecord(node, record)
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
        var fresh = ContiguousArray<UInt32>()
        swap(&fresh, &scratch.fresh)
        swap(&visited, &scratch.visited)
        swap(&candidates, &scratch.candidates)
        swap(&results, &scratch.results)
        swap(&links, &scratch.links)
        defer {
            swap(&visited, &scratch.visited)
            swap(&candidates, &scratch.candidates)
            swap(&results, &scratch.results)
            swap(&links, &scratch.links)
            swap(&fresh, &scratch.fresh)
        }
        visited.reset(capacity: try nodeBound())
        candidates.removeAll()
        results.removeAll()
        for entry in entries where visited.insert(entry.node) {
            candidates.push(entry)
            if accept?(entry.node) ?? true { results.push(entry) }
        }
        // node cache lookups and hits are counted here, in locals, and added to the cache's
        // totals once per layer search
        // a view of raw pointers: the graph holds the cache for the whole search, and the loop
        // does no reference counting
        let cacheView = readsNodeCache && layer == 0 ? nodeCache?.view : nil
        var lookups = 0, hits = 0
        let epoch = scratch.epoch, querySum = scratch.querySum
        defer { if cacheView != nil { nodeCache?.record(lookups: lookups, hits: hits) } }
        while let nearest = candidates.pop() {
            if results.count >= ef, let worst = results.top, worst < nearest { break }
            if let cache = cacheView {
                lookups &+= 1
                if cachedLinks(of: nearest.node, into: &links, in: cache, epoch: epoch) {
                    hits &+= 1
                } else {
                    guard try loadLinksFromMap(of: nearest.node, layer: 0, into: &links) else { continue }
                }
            } else {
                guard try loadLinks(of: nearest.node, layer: layer, into: &links) else { continue }
            }
            // the unvisited neighbours' vectors are requested all at once, so their loads from
            // memory overlap instead of following one another
            fresh.removeAll(keepingCapacity: true)
            for neighbour in links where visited.insert(neighbour) {
                fresh.append(neighbour)
                if let cache = cacheView { cache.prefetch(neighbour) } else { prefetchVector(neighbour) }
            }
            for neighbour in fresh {
                let d: Float
                if let cache = cacheView {
                    lookups &+= 1
                    if let cached = cachedDistance(query, norm: norm, sum: querySum, to: neighbour, in: cache, epoch: epoch) {
                        hits &+= 1
                        d = cached
                    } else {
                        guard let read = try distanceOnCacheMiss(query, norm: norm, to: neighbour) else { continue }
                        d = read
                    }
                } else {
                    guard let read = try distance(query, norm: norm, to: neighbour) else { continue }
                    d = read
                }
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
        if readsNodeCache, let nodeCache {
            scratch.epoch = nodeCache.nextEpoch()
            scratch.querySum = fm_sum(query, dimension)
        }
        guard let entry = try entryPoint(), let d = try distance(query, norm: norm, to: entry.node) else { return [] }
        var current = Candidate(distance: d, node: entry.node)
        if entry.level > 0 {
            for layer in stride(from: entry.level, through: 1, by: -1) {
                current = try greedy(query, norm: norm, from: current, layer: layer)
            }
        }
        scratch.lastRegion = current.node
        var found = try searchLayer(query, norm: norm, entries: [current], ef: max(ef, k), layer: 0, accept: accept)
        if readsNodeCache {
            // the cache ranks by float16 copies; the candidates found are ranked again by their
            // stored vectors, so results and their distances are exact
            var exact: [Candidate] = []
            exact.reserveCapacity(found.count)
            for candidate in found { locations?.prefetchVector(candidate.node) }
            for candidate in found {
                if let d = try distanceFromMap(query, norm: norm, to: candidate.node) { exact.append(Candidate(distance: d, node: candidate.node)) }
            }
            exact.sort()
            found = exact
        }
        return Array(found.prefix(k))
    }

    // MARK: node cache

    /// Copies `node`'s vector and layer-0 links, as this snapshot holds them, into the node cache.
    func cacheNode(_ node: UInt32, origin: CacheOrigin) throws {
        guard let nodeCache else { return }
        var links = ContiguousArray<UInt32>()
        swap(&links, &scratch.cacheLinks)
        defer { swap(&links, &scratch.cacheLinks) }
        guard try loadLinksFromMap(of: node, layer: 0, into: &links) else { return }
        // graph-aware prefetching: a node the search had to read is new ground, and its
        // neighbours are what the search reads next; the prefetch thread loads them
        if origin == .demand && collectsGraphPrefetch { scratch.pendingPrefetch.append(contentsOf: links) }
        let snapshot = self.snapshot
        let epoch = scratch.epoch
        // a damaged metadata record only means the entry carries no id; searches look it up then
        let id = try? tables.externalID(ofNode: node, in: txn)
        do {
            _ = try withVector(node) { values, norm in
                links.withUnsafeBufferPointer { buffer in
                    nodeCache.fill(node, snapshot: snapshot, id: id, vector: values, norm: norm, links: buffer, origin: origin,
                                   epoch: origin == .demand ? epoch : 0)
                }
            }
        } catch StoreError.corruptRecord {
            // a damaged vector is never cached; searches keep skipping and reporting it
        }
    }
}
