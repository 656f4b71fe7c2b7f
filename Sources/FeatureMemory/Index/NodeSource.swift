/// Where a graph search reads nodes: their links and the distance from the query to their
/// vectors, all as one snapshot holds them.
///
/// `HNSWSearch` is generic over it, so each search is compiled for one source and the loop makes
/// no choice per node. The sources, from the bottom up:
/// - `MapNodes`: records read in place from the map (through the snapshot's location table when
///   it has one); exact distances. Read transactions without a node cache, and the fallback of
///   the others.
/// - `WriterNodes`: the writer's cache of decoded nodes in front of `MapNodes`; exact.
/// - `CachedNodes` (in Cache/): the store's node cache in front of `MapNodes`; distances from
///   compressed copies, so the search ranks its final candidates again by `exactDistance`.
///
/// Methods are `mutating` so a source may count what it did (cache lookups and hits) in plain
/// stored properties of a local copy, with no locks or exclusivity checks in the loop.
protocol NodeSource {
    /// The snapshot read.
    var snapshot: UInt64 { get }

    /// Whether `distance` is approximate: then a search ranks its candidates again by `exactDistance`.
    static var isApproximate: Bool { get }

    /// The node searches start from and its level; nil for an empty graph.
    mutating func entryPoint() throws -> (node: UInt32, level: Int)?

    /// Node ids below this bound are the ones that may exist.
    mutating func nodeBound() throws -> Int

    /// Called once before each search of `query`.
    mutating func beginSearch(_ query: UnsafeRawPointer)

    /// Called after each search (a source adds what it counted to shared totals here).
    mutating func endSearch()

    /// The distance from `query` (of norm `norm`) to `node`, possibly approximate; nil when the
    /// node is missing or damaged (a damaged one is noted in the search's scratch).
    mutating func distance(_ query: UnsafeRawPointer, norm: Float, to node: UInt32, layer: Int) throws -> Float?

    /// The exact distance from `query` to `node`, from the stored vector.
    mutating func exactDistance(_ query: UnsafeRawPointer, norm: Float, to node: UInt32) throws -> Float?

    /// Copies the out-links of `node` in `layer` into `links`; false when the node has no intact
    /// graph record (a damaged one is noted in the search's scratch).
    mutating func links(of node: UInt32, layer: Int, into links: inout ContiguousArray<UInt32>) throws -> Bool

    /// Starts loading `node`'s vector into the processor cache, when its address is known.
    func prefetch(_ node: UInt32)

    /// Starts loading what `exactDistance` reads of `node` into the processor cache.
    func prefetchExact(_ node: UInt32)

    /// Starts loading what finding `node`'s entry reads (an index), ahead of `prefetch`.
    func prefetchLookup(_ node: UInt32)

    /// How many of a search's nearest candidates by approximate distance are ranked again by
    /// their stored vectors, for `k` results (an approximate source's errors reorder only
    /// neighbours at nearly equal distances).
    func rerankCount(forResults k: Int) -> Int

    /// The layer-0 beam search done by the source itself when it can do it faster: the `ef`
    /// nearest nodes found from `entries`, nearest first, and how many nodes it visited; nil
    /// when it cannot (the caller's search runs then).
    mutating func searchLayerZero(_ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int) -> (found: [Candidate], visited: Int)?

    /// The nearer of `current` and the nearest of `nodes` in an upper layer, when the source can
    /// tell faster than a distance per node (`improved` whether one of `nodes` was nearer); nil
    /// when it cannot.
    mutating func nearest(of nodes: ContiguousArray<UInt32>, than current: Candidate, norm: Float) -> (best: Candidate, improved: Bool)?
}

extension NodeSource {
    mutating func beginSearch(_ query: UnsafeRawPointer) {}
    mutating func endSearch() {}
    func prefetchExact(_ node: UInt32) { prefetch(node) }
    func prefetchLookup(_ node: UInt32) {}
    func rerankCount(forResults k: Int) -> Int { Int.max }
    mutating func searchLayerZero(_ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int) -> (found: [Candidate], visited: Int)? { nil }
    mutating func nearest(of nodes: ContiguousArray<UInt32>, than current: Candidate, norm: Float) -> (best: Candidate, improved: Bool)? { nil }
}

/// A source whose exact distances come from stored vectors: the distance is computed, and a
/// damaged record noted, in one place for every such source.
protocol StoredVectorSource: NodeSource {
    /// Floats per vector.
    var dimension: Int { get }
    /// The metric distances are measured in.
    var metric: Metric { get }
    /// Where damaged records met are noted.
    var scratch: SearchScratch { get }
    /// Passes `node`'s vector and norm to `body`; nil when the node has no vector.
    func withVector<R>(_ node: UInt32, _ body: (UnsafeRawPointer, Float) throws -> R) throws -> R?
}

extension StoredVectorSource {
    @inline(__always)
    func exactDistance(_ query: UnsafeRawPointer, norm queryNorm: Float, to node: UInt32) throws -> Float? {
        let dimension = self.dimension, metric = self.metric
        return try scratch.checkedDistance(to: node) {
            try withVector(node) { values, norm in
                Distance.between(query, norm: queryNorm, values, norm: norm, count: dimension, metric: metric)
            }
        }
    }

    @inline(__always)
    func distance(_ query: UnsafeRawPointer, norm: Float, to node: UInt32, layer: Int) throws -> Float? {
        try exactDistance(query, norm: norm, to: node)
    }
}
