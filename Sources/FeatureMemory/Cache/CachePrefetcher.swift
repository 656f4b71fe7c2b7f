import Foundation

/// A background thread that fills the node cache ahead of searches. Requests name nodes, or
/// nodes whose layer-0 neighbourhoods (the node and everything it links to) are wanted; the
/// thread reads them from the newest snapshot and skips what the cache already holds. The queue
/// is bounded: when searches ask for more than the thread can read, the surplus is dropped,
/// since a prefetch that arrives after its use is worth nothing.
final class CachePrefetcher: @unchecked Sendable {
    // @unchecked: `queue`, `queued`, `busy`, `stopped`, `exited` and `loader` change only under
    // `condition`; `thread` is set once, before the thread starts.

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
    /// Whether the thread has ended, or never started.
    private var exited = true
    private var loader: CacheLoader?
    private var thread: Thread?

    /// Starts the thread, which serves `loader` until `stop` is called.
    func start(serving loader: CacheLoader) {
        loader.prefetcher = self
        self.loader = loader
        exited = false
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "FeatureMemory prefetch"
        thread.qualityOfService = .utility
        self.thread = thread
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

    /// Ends the thread after the request it is serving and waits until it has let go of the
    /// store (its environment included), so that closing a store is done when this returns.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopped = true
        loader?.stopping.store(true, ordering: .relaxed)
        queue.removeAll()
        condition.broadcast()
        // the thread itself may end up here (through a callback that held the last store object)
        guard let thread, Thread.current !== thread else { return }
        while !exited { condition.wait() }
    }

    private func run() {
        while let request = next() {
            // a failure here (a damaged record, say) only means no prefetch
            serve(request)
        }
    }

    /// Serves `request` with the loader (held strongly only meanwhile).
    private func serve(_ request: Request) {
        condition.lock()
        let loader = self.loader
        condition.unlock()
        try? loader?.serve(request)
    }

    /// The next request, waiting for one; nil once stopped, after letting go of the loader.
    private func next() -> Request? {
        condition.lock()
        defer { condition.unlock() }
        busy = false
        while queue.isEmpty && !stopped {
            condition.broadcast()
            condition.wait()
        }
        if stopped {
            loader = nil
            exited = true
            condition.broadcast()
            return nil
        }
        let request = queue.removeFirst()
        queued -= request.nodeCount
        busy = true
        return request
    }
}
