internal import CFeatureMemoryShims

/// Nodes as the writer sees them: its cache of decoded vectors and links first, then the map.
///
/// Searches rank by the cache's 8-bit copies where it has them (a quarter of the bytes, integer
/// arithmetic), so their candidates are ranked again by exact distances before anyone uses them
/// (`isApproximate`); `exactDistance`, which the writer's linking and pruning use, is always exact.
///
/// The writer itself fills the cache with what it reads (`populates`); the parallel searches of a
/// batch share a cache that reflects their snapshot read-only and read their own snapshot's map
/// for anything it lacks.
struct WriterNodes: StoredVectorSource {
    /// The map of the transaction, for what the cache lacks.
    let map: MapNodes
    let cache: WriterCache
    /// Whether what is read from the map is added to `cache` (the writer) or not (batch searches).
    let populates: Bool
    /// The current search's query in integer form; nil outside a search.
    private var query: IntegerQuery?

    init(map: MapNodes, cache: WriterCache, populates: Bool) {
        self.map = map
        self.cache = cache
        self.populates = populates
    }

    var snapshot: UInt64 { map.snapshot }
    var dimension: Int { map.dimension }
    var metric: Metric { map.metric }
    var scratch: SearchScratch { map.scratch }
    static var isApproximate: Bool { true }

    func entryPoint() throws -> (node: UInt32, level: Int)? { try map.entryPoint() }
    func nodeBound() throws -> Int { try map.nodeBound() }

    /// Passes `node`'s vector and norm to `body`; nil when the node has no vector.
    @inline(__always)
    func withVector<R>(_ node: UInt32, _ body: (UnsafeRawPointer, Float) throws -> R) throws -> R? {
        if let (values, norm) = cache.vector(node, pending: populates) { return try body(values, norm) }
        guard populates else { return try map.withVector(node, body) }
        let codec = map.codec, cache = self.cache
        return try map.tables.withVectorRecord(ofNode: node, in: map.txn) { record -> R in
            let (values, norm) = try codec.decode(record, node: node)
            cache.setVector(node, values, norm: norm)
            return try body(values, norm)
        }
    }

    mutating func beginSearch(_ query: UnsafeRawPointer) {
        self.query = IntegerQuery(query, into: scratch.queryIntegers, dimension: dimension, metric: metric)
    }

    mutating func endSearch() { query = nil }

    /// The distance searches rank by: from the node's 8-bit copy, the cache's or one made here.
    ///
    /// A node the cache lacks is encoded just as the cache would have encoded it, so the distance
    /// — and with it the graph a write builds — does not depend on what this process has cached:
    /// replicas applying the same log build the same graph whether or not they restarted.
    @inline(__always)
    func distance(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32, layer: Int) throws -> Float? {
        guard let integerQuery = self.query, integerQuery.isIntegral else {
            return try exactDistance(query, norm: queryNorm, to: node)
        }
        if let entry = cache.codes(node, pending: populates) {
            if let d = integerQuery.distance(norm: queryNorm, toCodes: entry.codes, low: entry.low, step: entry.step, vectorNorm: entry.norm),
               !d.isNaN {
                return d
            }
            return try exactDistance(query, norm: queryNorm, to: node)
        }
        return try encodedDistance(integerQuery, query, norm: queryNorm, to: node)
    }

    /// The distance from `integerQuery` to `node`'s vector encoded in 8 bits here (the cache has no
    /// copy); exact where the codes' distance overflows or is undefined, as for a cached copy.
    @inline(never)
    private func encodedDistance(_ integerQuery: IntegerQuery, _ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32) throws -> Float? {
        let dimension = self.dimension, metric = self.metric, codes = scratch.nodeCodes
        return try scratch.checkedDistance(to: node) {
            try withVector(node) { values, norm in
                var step: Float = 0
                let low = fm_byte_encode(values, codes, dimension, &step)
                if let d = integerQuery.distance(norm: queryNorm, toCodes: codes, low: low, step: step, vectorNorm: norm), !d.isNaN {
                    return d
                }
                return Distance.between(query, norm: queryNorm, values, norm: norm, count: dimension, metric: metric)
            }
        }
    }

    /// Whether this is the writer reading a cache whose changes wait apart (`PendingChanges`): the
    /// C searches read only the slots, so its searches run in Swift then.
    private var seesPendingChanges: Bool { populates && cache.isDeferring }

    /// The layer-0 beam search in C (`fm_writer_search_layer0`) when the cache holds every node
    /// it reaches; nil otherwise (the Swift search then reads, and the writer caches, the rest).
    mutating func searchLayerZero(_ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int) -> (found: [Candidate], visited: Int)? {
        guard let integerQuery = self.query, integerQuery.isIntegral, !seesPendingChanges, let bound = try? map.nodeBound() else { return nil }
        var view = cache.searchView(query: integerQuery.beamQuery(norm: norm))
        return scratch.searchLayerZeroInC(entries: entries, ef: ef, nodeBound: bound) { beam, starts, found, visited in
            fm_writer_search_layer0(&view, beam, bound, starts.baseAddress, starts.count, ef, &found, &visited)
        }
    }

    /// A greedy step through the upper layers in C (`fm_writer_nearest_of`), under the same
    /// conditions as `searchLayerZero`.
    mutating func nearest(of nodes: ContiguousArray<UInt32>, than current: Candidate, norm: Float) -> (best: Candidate, improved: Bool)? {
        guard let integerQuery = self.query, integerQuery.isIntegral, !seesPendingChanges, scratch.beamSearchAllowed else { return nil }
        var view = cache.searchView(query: integerQuery.beamQuery(norm: norm))
        var best = fm_candidate(distance: current.distance, node: current.node)
        let improved = nodes.withUnsafeBufferPointer { fm_writer_nearest_of(&view, $0.baseAddress, $0.count, &best) }
        guard improved >= 0 else { return nil }
        return (Candidate(distance: best.distance, node: best.node), improved == 1)
    }

    @inline(__always)
    func prefetch(_ node: UInt32) {
        if cache.vector(node) != nil { cache.prefetchCodes(node) } else { map.prefetch(node) }
    }

    func prefetchExact(_ node: UInt32) {
        if cache.vector(node) != nil { cache.prefetchVector(node) } else { map.prefetch(node) }
    }

    @inline(__always)
    func links(of node: UInt32, layer: Int, into links: inout ContiguousArray<UInt32>) throws -> Bool {
        links.removeAll(keepingCapacity: true)
        if cache.appendLinks(of: node, layer: layer, to: &links, pending: populates) { return true }
        guard populates else { return try map.links(of: node, layer: layer, into: &links) }
        guard let record = try self.node(node) else { return false }
        if layer <= record.level { links.append(contentsOf: record.out[layer]) }
        return true
    }

    /// The decoded links of `node`, or nil when it has no record. A damaged record is an error.
    func node(_ node: UInt32) throws -> GraphRecord.Node? {
        if let cached = cache.node(node, pending: populates) { return cached }
        let decoded = try map.decodedNode(node)
        if populates, let decoded { cache.setNode(node, decoded) }
        return decoded
    }
}
