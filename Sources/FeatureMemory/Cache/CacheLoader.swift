import Foundation
import Synchronization

/// What the prefetch thread reads a store with: its environment, tables, node cache, location
/// tables and pools, never the `FeatureStore` object itself. So the last store object to go
/// closes the store at once: its deinit stops the thread and waits for the request in hand, and
/// the environment goes with them.
final class CacheLoader: @unchecked Sendable {
    // @unchecked: every property is immutable and itself safe to share; `prefetcher` is set once,
    // before the thread starts.

    let environment: Environment
    let tables: StoreTables
    let nodeCache: NodeCache
    let dimension: Int
    let metric: Metric
    let parameters: HNSWParameters
    let codecs: ScratchPool<VectorCodec>
    let scratches: ScratchPool<SearchScratch>
    let locations: SnapshotLocationSlot
    let locationGate: LocationGate
    /// The thread serving this loader, for queueing the next chunk of a sweep (it owns the loader).
    weak var prefetcher: CachePrefetcher?
    /// Set when the store closes: long requests (a warm start, a sweep) end early instead of
    /// making the closing wait for whole-store work nobody will use (a one-query process).
    let stopping = Atomic<Bool>(false)
    /// Whether the store is closing.
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    init(
        environment: Environment, tables: StoreTables, nodeCache: NodeCache, dimension: Int, metric: Metric,
        parameters: HNSWParameters, codecs: ScratchPool<VectorCodec>, scratches: ScratchPool<SearchScratch>,
        locations: SnapshotLocationSlot, locationGate: LocationGate
    ) {
        self.environment = environment
        self.tables = tables
        self.nodeCache = nodeCache
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.codecs = codecs
        self.scratches = scratches
        self.locations = locations
        self.locationGate = locationGate
    }

    /// Runs `body` on the nodes of the newest snapshot, as a reader sees them through the cache.
    func withNodes<R>(_ body: (CachedNodes) throws -> R) throws -> R {
        try environment.read { txn in
            let codec = codecs.take()
            let scratch = scratches.take()
            defer {
                codecs.give(codec)
                scratches.give(scratch)
            }
            let map = MapNodes(
                txn: txn, tables: tables, dimension: dimension, metric: metric, codec: codec, scratch: scratch,
                locations: locations.table(for: txn, in: tables, mapGeneration: environment.mapGeneration))
            return try body(CachedNodes(map: map, cache: nodeCache, collectsGraphPrefetch: false))
        }
    }

    /// Serves one prefetch request, reading in a read transaction of the newest snapshot.
    func serve(_ request: CachePrefetcher.Request) throws {
        switch request {
        case .populate:
            nodeCache.populateAhead()
        case .sweep(let from):
            try withNodes { try sweep($0, from: from) }
        case .warmStart:
            try WarmStart(loader: self).run()
        case .nodes(let nodes, let withNeighbours, let origin):
            try withNodes { try fill(nodes, withNeighbours: withNeighbours, origin: origin, in: $0) }
        }
    }

    /// Fills the cache with `nodes` (and their layer-0 neighbours) that it lacks.
    func fill(_ nodes: [UInt32], withNeighbours: Bool, origin: CacheOrigin, in source: CachedNodes) throws {
        var wanted: [UInt32] = []
        var seen = Set<UInt32>()
        var links = ContiguousArray<UInt32>()
        for node in nodes where seen.insert(node).inserted {
            wanted.append(node)
            if withNeighbours, try source.map.links(of: node, layer: 0, into: &links) {
                for neighbour in links where seen.insert(neighbour).inserted { wanted.append(neighbour) }
            }
        }
        for node in wanted where !nodeCache.contains(node, snapshot: source.snapshot, countingUse: false) {
            // a prefetch into a full cache evicts an entry searches may need for one they may
            // not: under a working set larger than the cache that turned every search into misses
            if isStopping || nodeCache.isFull { return }
            try source.fill(node, origin: origin)
        }
    }

    /// Loads the nodes from `from` on that the cache lacks, a chunk of ids, in id order (so the
    /// map's pages are read in order); queues the next chunk behind the requests waiting now.
    func sweep(_ source: CachedNodes, from: UInt32) throws {
        let bound = try source.nodeBound()
        let end = min(bound, Int(from) + CachePrefetcher.sweepChunk)
        // searches fill the cache themselves again once the sweep ends, however it ends
        var continues = false
        defer { if !continues { nodeCache.isLoadingWhole = false } }
        guard Int(from) < end else { return }
        nodeCache.populateAhead(slots: CachePrefetcher.sweepChunk)
        for node in from..<UInt32(end) where !nodeCache.contains(node, snapshot: source.snapshot, countingUse: false) {
            if isStopping { return }
            try source.fill(node, origin: .warmStart)
        }
        if end < bound, let prefetcher { continues = prefetcher.enqueue(.sweep(from: UInt32(end))) }
    }
}
