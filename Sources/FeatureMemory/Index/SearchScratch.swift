internal import CFeatureMemoryShims

/// Per-search working memory, reused across searches through a pool so the search loop allocates
/// nothing: the visited stamps, the two heaps, a link buffer, and vector slots for neighbour selection.
final class SearchScratch {
    var visited = VisitedSet()
    /// Candidates still to expand, nearest first.
    var candidates = CandidateHeap(nearestFirst: true)
    /// The best `ef` found so far, farthest on top.
    var results = CandidateHeap(nearestFirst: false)
    /// Links of the node being expanded, copied out of the map.
    var links: ContiguousArray<UInt32> = []
    /// Neighbours of nodes a search had to read from the map, for the graph prefetcher.
    var pendingPrefetch: [UInt32] = []
    /// The node cache epoch of the current search (see `NodeCache.nextEpoch`).
    var epoch: UInt32 = 0
    /// The layer-0 node the last search's descent arrived at (its region, for the predictor).
    var lastRegion: UInt32 = 0
    /// Links read for a node cache fill, apart from `links`, which a search may be iterating.
    var cacheLinks: ContiguousArray<UInt32> = []
    /// Nodes whose records failed their checks during the search; they were skipped.
    var damaged: [UInt32] = []
    /// Distances computed by graph searches since `ReadTransaction.nearest` zeroed it (the nodes
    /// one search visited), for the search metrics.
    var visitedNodes = 0
    /// The C beam search's working memory (`CachedNodes.searchLayerZero`), made on first use.
    private(set) var beam: OpaquePointer?
    /// Searches left before the C beam search is tried again after one met an uncached node.
    var beamBackoff = 0

    /// Floats per vector slot.
    let dimension: Int
    /// The current query as 16-bit integers (`IntegerQuery`), for distances to 8-bit and 4-bit
    /// copies; zeros past `dimension` to the next multiple of 64.
    let queryIntegers: UnsafeMutablePointer<Int16>
    /// One node's vector encoded as a cache holds it (8 bits for the writer's cache, the node
    /// cache's format for read searches), for distances to nodes a cache lacks.
    let nodeCodes: UnsafeMutablePointer<UInt8>
    private var slots: UnsafeMutableRawPointer
    private var slotCapacity: Int

    /// Bytes of `nodeCodes`: those of the vector in float32, at least 64, which hold it in any
    /// cache format (4-bit codes pad to whole blocks of 64 values, 32 bytes each).
    static func nodeCodeBytes(dimension: Int) -> Int { max(4 * dimension, 64) }

    init(dimension: Int) {
        self.dimension = dimension
        slotCapacity = 64
        slots = .allocate(byteCount: slotCapacity * dimension * 4, alignment: 64)
        // padded with zeros to whole 64-value blocks, which the 4-bit kernels read
        let paddedDimension = max((dimension + 63) / 64 * 64, 64)
        queryIntegers = .allocate(capacity: paddedDimension)
        queryIntegers.initialize(repeating: 0, count: paddedDimension)
        let codeBytes = Self.nodeCodeBytes(dimension: dimension)
        nodeCodes = UnsafeMutableRawPointer.allocate(byteCount: codeBytes, alignment: 64).bindMemory(to: UInt8.self, capacity: codeBytes)
    }

    /// The C beam search's working memory, made on first use; nil when memory ran out.
    func beamScratch() -> OpaquePointer? {
        if beam == nil { beam = fm_beam_scratch_create() }
        return beam
    }

    deinit {
        fm_beam_scratch_destroy(beam)
        slots.deallocate()
        queryIntegers.deallocate()
        nodeCodes.deallocate()
    }

    /// Room for at least `count` vectors in the slots (contents are not kept when it grows).
    func reserveSlots(_ count: Int) {
        guard count > slotCapacity else { return }
        slots.deallocate()
        slotCapacity = max(count, slotCapacity * 2)
        slots = .allocate(byteCount: slotCapacity * dimension * 4, alignment: 64)
    }

    /// The start of vector slot `index`.
    @inline(__always)
    func slot(_ index: Int) -> UnsafeMutableRawPointer { slots + index * dimension * 4 }
}
