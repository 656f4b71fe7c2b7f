internal import CFeatureMemoryShims

/// Nodes read through the store's node cache, for read transactions: a hit is a compressed copy
/// of the vector (ranking only; the search ranks its final candidates again by `exactDistance`)
/// and the layer-0 links; a miss is read from the map and, unless the prefetch thread is loading
/// the whole store, put in the cache.
struct CachedNodes: NodeSource {
    /// The snapshot's map: misses, upper layers and exact distances.
    let map: MapNodes
    let cache: NodeCache
    /// The cache's read side as plain values: lookups in the search loop do no reference counting.
    let view: NodeCacheView
    /// Whether a node read on a miss queues its neighbours in `scratch.pendingPrefetch` (graph-aware prefetching).
    let collectsGraphPrefetch: Bool
    let dimension: Int
    let metric: Metric
    private(set) var epoch: UInt32 = 0
    /// The current query's integer form and sum (no integer form for half entries, or for
    /// dimensions too large for int32 sums: 8-bit entries are compared in floats then).
    private(set) var query: IntegerQuery
    // counted here and added to the cache's totals once per search
    private var lookups = 0
    private var hits = 0

    init(map: MapNodes, cache: NodeCache, collectsGraphPrefetch: Bool) {
        self.map = map
        self.cache = cache
        self.collectsGraphPrefetch = collectsGraphPrefetch
        view = cache.view
        dimension = map.dimension
        metric = map.metric
        query = IntegerQuery(before: map.scratch.queryIntegers, metric: map.metric)
        cache.observe(snapshot: map.snapshot)
    }

    var snapshot: UInt64 { map.snapshot }
    static var isApproximate: Bool { true }

    func entryPoint() throws -> (node: UInt32, level: Int)? { try map.entryPoint() }
    func nodeBound() throws -> Int { try map.nodeBound() }

    mutating func beginSearch(_ query: UnsafeRawPointer) {
        epoch = cache.nextEpoch()
        self.query = IntegerQuery(query, into: map.scratch.queryIntegers, dimension: dimension, metric: metric,
                                  integral: view.format.isIntegerCoded)
    }

    /// Counts `count` layer-0 lookups that all hit (made by the C beam search).
    mutating func countHits(_ count: Int) {
        lookups &+= count
        hits &+= count
    }

    mutating func endSearch() {
        cache.record(lookups: lookups, hits: hits)
        lookups = 0
        hits = 0
    }

    /// The distance searches rank by: from the node's entry in the cache's format, or — on a
    /// miss — from its vector encoded here just as an entry would hold it, so that answers do not
    /// depend on what this process has cached (a replica that restarted answers as one that did
    /// not); a miss is put in the cache unless the prefetch thread is loading the whole store.
    @inline(__always)
    mutating func distance(_ query: UnsafeRawPointer, norm: Float, to node: UInt32, layer: Int) throws -> Float? {
        // layer-0 lookups are what the cache is sized for: only they count, and mark the entry used
        if layer == 0 {
            lookups &+= 1
            if let d = cachedDistance(query, norm: norm, to: node, epoch: epoch) {
                hits &+= 1
                return d
            }
        } else if let d = cachedDistance(query, norm: norm, to: node, epoch: 0) {
            return d
        }
        // a miss the cache admits is filled first and ranked by its new entry: one read and one
        // encoding of the vector instead of two
        if !cache.isLoadingWhole, cache.admits(node) {
            try fill(node, origin: .demand, epoch: epoch)
            if let d = cachedDistance(query, norm: norm, to: node, epoch: epoch) { return d }
        }
        return try encodedDistance(query, norm: norm, to: node)
    }

    /// The distance to `node` from its cache entry; nil on a miss.
    @inline(__always)
    private func cachedDistance(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32, epoch: UInt32) -> Float? {
        view.withEntry(node, snapshot: map.snapshot, epoch: epoch) { entry in
            codedDistance(query, norm: queryNorm, codes: entry.base + view.vectorOffset, low: entry.low, scale: entry.scale, vectorNorm: entry.norm)
        }
    }

    /// The distance to `node`'s vector read from the map and encoded in the cache's format in
    /// the scratch's buffer; nil when the node has no readable vector.
    @inline(never)
    private func encodedDistance(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32) throws -> Float? {
        let codes = map.scratch.nodeCodes, format = view.format, dimension = self.dimension
        return try map.scratch.checkedDistance(to: node) {
            try map.withVector(node) { values, vectorNorm in
                let (low, scale) = format.encode(values, into: codes, dimension: dimension)
                return codedDistance(query, norm: queryNorm, codes: UnsafeRawPointer(codes), low: low, scale: scale, vectorNorm: vectorNorm)
            }
        }
    }

    /// The distance from the query to one vector held in the cache's format; infinity where
    /// finite values' arithmetic has no answer (NaN), as for exact distances.
    @inline(__always)
    private func codedDistance(
        _ query: UnsafeRawPointer, norm queryNorm: Float, codes: UnsafeRawPointer, low: Float, scale: Float, vectorNorm: Float
    ) -> Float {
        let dimension = self.dimension, metric = self.metric, integerQuery = self.query
        let d: Float
        switch view.format {
        case .bytes, .nibbles:
            // 8- and 4-bit codes differ only in their kernels
            let nibbles = view.format == .nibbles
            let codes = codes.assumingMemoryBound(to: UInt8.self)
            if integerQuery.isIntegral {
                let dot = nibbles ? fm_nibble_integer_dot(integerQuery.integers, codes, dimension)
                                  : fm_integer_dot(integerQuery.integers, codes, dimension)
                d = integerQuery.distance(norm: queryNorm, integerDot: dot, low: low, step: scale, vectorNorm: vectorNorm)
                    ?? (nibbles ? fm_nibble_l2_squared : fm_byte_l2_squared)(query, codes, low, scale, dimension)
            } else if metric == .l2 {
                d = (nibbles ? fm_nibble_l2_squared : fm_byte_l2_squared)(query, codes, low, scale, dimension)
            } else {
                let dot = low * integerQuery.sum + scale * (nibbles ? fm_nibble_dot : fm_byte_dot)(query, codes, dimension)
                d = metric == .innerProduct ? 1 - dot : 1 - dot / (queryNorm * vectorNorm)
            }
        case .half:
            let values = codes.assumingMemoryBound(to: UInt16.self)
            switch metric {
            case .l2:
                d = fm_half_l2_squared(query, values, scale, dimension)
            case .innerProduct:
                d = 1 - scale * fm_half_dot(query, values, dimension)
            case .cosine:
                d = 1 - scale * fm_half_dot(query, values, dimension) / (queryNorm * vectorNorm)
            }
        }
        return d.isNaN ? .infinity : d
    }

    @inline(__always)
    func exactDistance(_ query: UnsafeRawPointer, norm: Float, to node: UInt32) throws -> Float? {
        try map.exactDistance(query, norm: norm, to: node)
    }

    @inline(__always)
    mutating func links(of node: UInt32, layer: Int, into links: inout ContiguousArray<UInt32>) throws -> Bool {
        guard layer == 0 else { return try map.links(of: node, layer: layer, into: &links) }
        lookups &+= 1
        let maximum = view.maximumLinks
        let copied: Void? = view.withEntry(node, snapshot: map.snapshot, epoch: epoch) { entry in
            links.removeAll(keepingCapacity: true)
            // one copy of the whole list; a filler rewriting it meanwhile makes withEntry discard it
            links.append(contentsOf: UnsafeBufferPointer(
                start: entry.links.assumingMemoryBound(to: UInt32.self), count: min(entry.linkCount, maximum)))
        }
        if copied != nil {
            hits &+= 1
            return true
        }
        return try map.links(of: node, layer: 0, into: &links)
    }

    @inline(__always)
    func prefetch(_ node: UInt32) { view.prefetch(node) }

    @inline(__always)
    func prefetchLookup(_ node: UInt32) { view.prefetchLookup(node) }

    @inline(__always)
    func prefetchExact(_ node: UInt32) { map.prefetch(node) }

    /// 3k (at least k + 16) for 8-bit codes and float16, 4k (at least k + 32) for 4-bit codes:
    /// on MiniLM 2k already gave every ef's recall@10 of re-ranking all ef candidates with 8-bit
    /// codes, and lost up to 0.0007 with 4-bit ones, which 3k did not.
    func rerankCount(forResults k: Int) -> Int {
        let (multiple, floor) = view.format == .nibbles ? (4, 32) : (3, 16)
        // a result count this large (a caller asking for everything) re-ranks every candidate
        return k > Int.max / 8 ? Int.max : max(k * multiple, k + floor)
    }

    /// Copies `node`'s vector and layer-0 links, as this snapshot holds them, into the cache.
    func fill(_ node: UInt32, origin: CacheOrigin, epoch: UInt32 = 0) throws {
        let scratch = map.scratch
        var links = ContiguousArray<UInt32>()
        swap(&links, &scratch.cacheLinks)
        defer { swap(&links, &scratch.cacheLinks) }
        guard try map.links(of: node, layer: 0, into: &links) else { return }
        // graph-aware prefetching: a node the search had to read is new ground, and its
        // neighbours are what the search reads next; the prefetch thread loads them
        if origin == .demand && collectsGraphPrefetch { scratch.pendingPrefetch.append(contentsOf: links) }
        let snapshot = map.snapshot, cache = self.cache
        // a search's own fill into a full cache leaves the id out: it is another B-tree lookup per
        // miss, for an entry likely evicted before any search returns it (searches look up the ids
        // of their k results when an entry has none). Entries of a cache still filling stay, so
        // they carry it. A damaged metadata record, too, only means the entry carries no id.
        let id = origin == .demand && cache.isFull ? nil : try? map.tables.externalID(ofNode: node, in: map.txn)
        do {
            _ = try map.withVector(node) { values, norm in
                links.withUnsafeBufferPointer { buffer in
                    cache.fill(node, snapshot: snapshot, id: id, vector: values, norm: norm, links: buffer, origin: origin,
                               epoch: origin == .demand ? epoch : 0)
                }
            }
        } catch StoreError.corruptRecord {
            // a damaged vector is never cached; searches keep skipping and reporting it
        }
    }
}
