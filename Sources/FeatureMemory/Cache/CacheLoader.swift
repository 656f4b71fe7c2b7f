import Foundation

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

    /// Nodes of the entry point's neighbourhood a warm start adds to the saved hot set.
    static let warmNeighbourhood = 4096
    /// The largest data file a warm start maps in whole and locates (also never more than the
    /// cache budget): both run in one read transaction, which holds back page reuse by writers
    /// while it lasts, and a file not in the page cache is read from disk.
    static let locateLimit = 1 << 30

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

    /// Runs `body` on the graph of the newest snapshot, as a reader sees it.
    private func withGraph<R>(_ body: (HNSWGraph) throws -> R) throws -> R {
        try environment.read { txn in
            let codec = codecs.take()
            let scratch = scratches.take()
            defer {
                codecs.give(codec)
                scratches.give(scratch)
            }
            let graph = HNSWGraph(
                txn: txn, tables: tables, dimension: dimension, metric: metric, parameters: parameters, codec: codec,
                scratch: scratch, locations: locations.table(for: txn, in: tables, mapGeneration: environment.mapGeneration),
                writerCache: nil, nodeCache: nodeCache)
            return try body(graph)
        }
    }

    /// Serves one prefetch request, reading in a read transaction of the newest snapshot.
    func serve(_ request: CachePrefetcher.Request) throws {
        switch request {
        case .populate:
            nodeCache.populateAhead()
        case .sweep(let from):
            try withGraph { try sweep($0, from: from) }
        case .warmStart:
            // searches wait at the gate the store closed when it queued this request; opened
            // early below, and here on every way out
            defer { locationGate.release() }
            try withGraph { graph in
                // a store no larger than the cache's budget (nor `locateLimit`) is mapped in whole
                // first (a few milliseconds per 100 MB from the page cache), since each page would
                // cost a fault later, and every node's records are located, so that searches read
                // the nodes the cache does not hold yet without B-tree lookups
                if environment.populateMap(limit: min(nodeCache.budgetBytes, Self.locateLimit)) > 0 {
                    try graph.locateAll()
                }
                // an image of this very snapshot loads in one read; anything it lacks follows
                _ = try graph.txn.withBytes(of: .cacheImage, in: tables.meta) { nodeCache.load(image: $0, snapshot: graph.snapshot) }
                // a store the budget holds whole is loaded whole, in id order (the map's pages in
                // order), so that even the first searches of a short-lived process rarely read the
                // map; searches leave filling to the load from the moment they pass the gate
                let whole = try nodeCache.reserve(nodes: graph.nodeBound())
                nodeCache.isLoadingWhole = whole
                locationGate.release()
                if whole {
                    try sweep(graph, from: 0)
                } else {
                    try fill(try warmStartNodes(graph, limit: nodeCache.capacity), withNeighbours: false, origin: .warmStart, in: graph)
                }
            }
        case .nodes(let nodes, let withNeighbours, let origin):
            try withGraph { try fill(nodes, withNeighbours: withNeighbours, origin: origin, in: $0) }
        }
    }

    /// Fills the cache with `nodes` (and their layer-0 neighbours) that it lacks.
    private func fill(_ nodes: [UInt32], withNeighbours: Bool, origin: CacheOrigin, in graph: HNSWGraph) throws {
        var wanted: [UInt32] = []
        var seen = Set<UInt32>()
        var links = ContiguousArray<UInt32>()
        for node in nodes where seen.insert(node).inserted {
            wanted.append(node)
            if withNeighbours, try graph.loadLinksFromMap(of: node, layer: 0, into: &links) {
                for neighbour in links where seen.insert(neighbour).inserted { wanted.append(neighbour) }
            }
        }
        for node in wanted where !nodeCache.contains(node, snapshot: graph.snapshot, countingUse: false) {
            try graph.cacheNode(node, origin: origin)
        }
    }

    /// Loads the nodes from `from` on that the cache lacks, a chunk of ids, in id order (so the
    /// map's pages are read in order); queues the next chunk behind the requests waiting now.
    private func sweep(_ graph: HNSWGraph, from: UInt32) throws {
        let bound = try graph.nodeBound()
        let end = min(bound, Int(from) + CachePrefetcher.sweepChunk)
        // searches fill the cache themselves again once the sweep ends, however it ends
        var continues = false
        defer { if !continues { nodeCache.isLoadingWhole = false } }
        guard Int(from) < end else { return }
        nodeCache.populateAhead(slots: CachePrefetcher.sweepChunk)
        for node in from..<UInt32(end) where !nodeCache.contains(node, snapshot: graph.snapshot, countingUse: false) {
            try graph.cacheNode(node, origin: .warmStart)
        }
        if end < bound, let prefetcher { continues = prefetcher.enqueue(.sweep(from: UInt32(end))) }
    }

    /// What a warm start loads, in order: the hot set the previous opening saved, every node above
    /// layer 0, then the entry point's layer-0 neighbourhood breadth first; at most `limit` nodes.
    private func warmStartNodes(_ graph: HNSWGraph, limit: Int) throws -> [UInt32] {
        var nodes = try graph.txn.savedHotSet(in: tables.meta)
        var seen = Set(nodes)
        try graph.txn.withCursor(on: tables.levels) { cursor in
            try cursor.forEach { entry in
                if let node = UInt32(keyBytes: entry.value), seen.insert(node).inserted { nodes.append(node) }
                return nodes.count < limit
            }
        }
        guard let entry = try graph.entryPoint() else { return Array(nodes.prefix(limit)) }
        let neighbourhood = min(limit, max(nodes.count + Self.warmNeighbourhood, nodes.count))
        var frontier = [entry.node]
        seen.insert(entry.node)
        nodes.append(entry.node)
        var links = ContiguousArray<UInt32>()
        var index = 0
        while index < frontier.count && nodes.count < neighbourhood {
            guard try graph.loadLinksFromMap(of: frontier[index], layer: 0, into: &links) else { index += 1; continue }
            for neighbour in links where seen.insert(neighbour).inserted {
                frontier.append(neighbour)
                nodes.append(neighbour)
            }
            index += 1
        }
        return Array(nodes.prefix(limit))
    }
}
