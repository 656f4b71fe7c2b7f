import Foundation

/// A background thread that fills the node cache ahead of searches. Requests name nodes, or
/// nodes whose layer-0 neighbourhoods (the node and everything it links to) are wanted; the
/// thread reads them from the newest snapshot and skips what the cache already holds. The queue
/// is bounded: when searches ask for more than the thread can read, the surplus is dropped,
/// since a prefetch that arrives after its use is worth nothing.
final class CachePrefetcher: @unchecked Sendable {
    // @unchecked: `queue`, `queued`, `busy` and `stopped` change only under `condition`; `store`
    // is set once, before the thread starts.

    /// What to do.
    enum Request {
        /// Fill `nodes` (and their layer-0 neighbours when `withNeighbours`), counted for `origin`.
        case nodes([UInt32], withNeighbours: Bool, origin: CacheOrigin)
        /// Load the saved image or hot set and the entry point's neighbourhood, or the whole store
        /// when the budget holds it.
        case warmStart
        /// Load every node from this id on, a chunk per request (a warm start of a store that fits).
        case sweep(from: UInt32)
        /// Back the cache's memory with pages ahead of the slots that fill next.
        case populate

        /// Nodes it names, counted against the queue's limit.
        var nodeCount: Int {
            if case .nodes(let nodes, _, _) = self { return nodes.count }
            return 0
        }
    }

    /// Nodes one sweep request loads, in one read transaction, before the next request's turn.
    static let sweepChunk = 2048

    /// Nodes waiting at most; requests beyond are dropped.
    static let queueLimit = 16_384

    private let condition = NSCondition()
    private var queue: [Request] = []
    private var queued = 0
    private var stopped = false
    private var busy = false
    private weak var store: FeatureStore?

    /// Starts the thread, which serves `store` until it is gone or `stop` is called.
    func start(serving store: FeatureStore) {
        self.store = store
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "FeatureMemory prefetch"
        thread.qualityOfService = .utility
        thread.start()
    }

    /// Queues a request; returns false when the queue is full and it was dropped.
    @discardableResult
    func enqueue(_ request: Request) -> Bool {
        if case .nodes(let nodes, _, _) = request, nodes.isEmpty { return true }
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, queued + request.nodeCount <= Self.queueLimit else { return false }
        queue.append(request)
        queued += request.nodeCount
        condition.signal()
        return true
    }

    /// Waits until every queued request has been served (for measurements and tests).
    func waitUntilIdle() {
        condition.lock()
        while !queue.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    /// Ends the thread after the request it is serving.
    func stop() {
        condition.lock()
        stopped = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped {
                busy = false
                condition.broadcast()
                condition.wait()
            }
            if stopped {
                busy = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let request = queue.removeFirst()
            queued -= request.nodeCount
            busy = true
            condition.unlock()
            guard let store else { continue }
            // a failure here (a damaged record, a store being closed) only means no prefetch
            try? store.fillNodeCache(request)
        }
    }
}

extension FeatureStore {
    /// Serves one prefetch request, reading in a read transaction of the newest snapshot.
    func fillNodeCache(_ request: CachePrefetcher.Request) throws {
        guard let nodeCache else { return }
        switch request {
        case .populate:
            nodeCache.populateAhead()
        case .sweep(let from):
            try read { try sweep($0, from: from) }
        case .warmStart:
            // searches wait at the gate the store closed when it queued this request
            defer { locationGate.release() }
            try read { reader in
                // a store no larger than the cache's budget is mapped in whole first (a few
                // milliseconds per 100 MB from the page cache), since each page would cost a
                // fault later, and every node's records are located, so that searches read the
                // nodes the cache does not hold yet without B-tree lookups
                if environment.populateMap(limit: nodeCache.budgetBytes) > 0 {
                    try reader.graph.locateAll()
                }
                locationGate.release()
                // an image of this very snapshot loads in one read; anything it lacks follows
                _ = try reader.txn.withBytes(of: .cacheImage, in: tables.meta) { nodeCache.load(image: $0, snapshot: reader.graph.snapshot) }
                // a store the budget holds whole is loaded whole, in id order (the map's pages in
                // order), so that even the first searches of a short-lived process rarely read the map
                if try nodeCache.reserve(nodes: reader.graph.nodeBound()) {
                    nodeCache.isLoadingWhole = true
                    try sweep(reader, from: 0)
                } else {
                    try fill(try warmStartNodes(reader, limit: nodeCache.capacity), withNeighbours: false, origin: .warmStart, in: reader)
                }
            }
        case .nodes(let nodes, let withNeighbours, let origin):
            try read { try fill(nodes, withNeighbours: withNeighbours, origin: origin, in: $0) }
        }
    }

    /// Fills the cache with `nodes` (and their layer-0 neighbours) that it lacks.
    private func fill(_ nodes: [UInt32], withNeighbours: Bool, origin: CacheOrigin, in reader: ReadTransaction) throws {
        guard let nodeCache else { return }
        let graph = reader.graph
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
    private func sweep(_ reader: ReadTransaction, from: UInt32) throws {
        guard let nodeCache else { return }
        let graph = reader.graph
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
    private func warmStartNodes(_ reader: ReadTransaction, limit: Int) throws -> [UInt32] {
        var nodes = try reader.savedHotSet()
        var seen = Set(nodes)
        try reader.txn.withCursor(on: tables.levels) { cursor in
            try cursor.forEach { entry in
                if let node = UInt32(keyBytes: entry.value), seen.insert(node).inserted { nodes.append(node) }
                return nodes.count < limit
            }
        }
        guard let entry = try reader.graph.entryPoint() else { return Array(nodes.prefix(limit)) }
        let neighbourhood = min(limit, max(nodes.count + Self.warmNeighbourhood, nodes.count))
        var frontier = [entry.node]
        seen.insert(entry.node)
        nodes.append(entry.node)
        var links = ContiguousArray<UInt32>()
        var index = 0
        while index < frontier.count && nodes.count < neighbourhood {
            guard try reader.graph.loadLinksFromMap(of: frontier[index], layer: 0, into: &links) else { index += 1; continue }
            for neighbour in links where seen.insert(neighbour).inserted {
                frontier.append(neighbour)
                nodes.append(neighbour)
            }
            index += 1
        }
        return Array(nodes.prefix(limit))
    }

    /// Nodes of the entry point's neighbourhood a warm start adds to the saved hot set.
    static let warmNeighbourhood = 4096

    /// Saves the nodes the node cache holds now as the hot set the next opening warms up with,
    /// with an image of their entries that an opening of the same snapshot loads in one read
    /// (writes also save the node list, at most once a minute, in their own transactions).
    public func saveHotSet() throws {
        guard let nodeCache else { return }
        try write { writer in
            try writeHotSet(in: writer)
            try writer.txn.setBytes(nodeCache.image(validAt: UInt64(writer.txn.snapshotID)), for: .cacheImage, in: writer.tables.meta)
        }
    }

    /// Puts the hot set into `writer`'s transaction.
    func writeHotSet(in writer: WriteTransaction) throws {
        guard let nodeCache else { return }
        let nodes = nodeCache.cachedNodes(limit: nodeCache.capacity)
        guard !nodes.isEmpty else { return }
        var bytes = [UInt8]()
        bytes.reserveCapacity(nodes.count * 4)
        for node in nodes { withUnsafeBytes(of: node.littleEndian) { bytes.append(contentsOf: $0) } }
        try writer.txn.setBytes(bytes, for: .hotSet, in: writer.tables.meta)
        // operators read how the cache did with `fmdb stats`, from another process
        if let statistics = cacheStatistics, let json = try? JSONEncoder().encode(statistics) {
            try writer.txn.setBytes(json, for: .cacheStatistics, in: writer.tables.meta)
        }
    }
}

/// Decides when a write transaction also saves the hot set: once a minute at most.
final class HotSetSchedule: @unchecked Sendable {
    // @unchecked: `last` changes under `lock`.
    private let lock = NSLock()
    private var last = DispatchTime.now().uptimeNanoseconds
    static let interval: UInt64 = 60_000_000_000

    func isDue() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - last >= Self.interval else { return false }
        last = now
        return true
    }
}

extension ReadTransaction {
    /// Entries of the saved node cache image; 0 when none.
    func savedCacheImageEntries() throws -> Int {
        try txn.withBytes(of: .cacheImage, in: tables.meta) { bytes -> Int in
            bytes.count >= NodeCache.imageHeaderSize ? Int(bytes.littleEndian(at: 24, as: UInt32.self)) : 0
        } ?? 0
    }

    /// The node cache statistics saved with the hot set, if any.
    func savedCacheStatistics() throws -> CacheStatistics? {
        try txn.withBytes(of: .cacheStatistics, in: tables.meta) { try? JSONDecoder().decode(CacheStatistics.self, from: Data($0)) } ?? nil
    }

    /// The hot set saved by `FeatureStore.saveHotSet`; empty when none.
    func savedHotSet() throws -> [UInt32] {
        try txn.withBytes(of: .hotSet, in: tables.meta) { bytes -> [UInt32] in
            (0..<(bytes.count / 4)).map { bytes.littleEndian(at: 4 * $0, as: UInt32.self) }
        } ?? []
    }
}
