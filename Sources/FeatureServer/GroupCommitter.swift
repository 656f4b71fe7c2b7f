import Dispatch
import FeatureMemory
import Synchronization

/// The writes of one collection, committed in groups: requests that arrive while a transaction
/// commits wait together and share the next transaction and its one fsync. Each request is
/// answered only after the transaction holding it committed. A request the store refuses inside a
/// group is answered with its error alone and the others are tried again together, without it
/// (what running them one after the other gives), so one bad request neither fails the others
/// nor costs them a transaction each; only when the commit itself fails is each retried alone.
final class GroupCommitter: Sendable {
    private struct Job: Sendable {
        /// The request's writes (nil: `exclusive` work that opens its own transactions).
        let writes: (@Sendable (WriteTransaction) throws -> Void)?
        let exclusive: (@Sendable () throws -> Void)?
        /// Points or ids the request writes, for the queue's bound.
        let weight: Int
        /// Answers the request.
        let finish: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var pendingWeight = 0
        var draining = false
        var closed = false
    }

    private let store: FeatureStore
    private let state = Mutex(State())
    // the collection's writer thread: LMDB write transactions block, so they stay off the
    // concurrency pool that serves searches
    private let queue: DispatchQueue
    /// The most points (or ids) waiting before new writes are refused with 503.
    let maximumPendingWeight: Int
    /// The most points (or ids) one transaction takes.
    let maximumGroupWeight: Int
    /// Whether concurrent requests share transactions (off: one transaction, one fsync, per request).
    let grouping: Bool
    /// Where commits, their duration and the requests they held are counted (nil without metrics).
    private let metrics: CollectionMetrics?

    /// A committer for `store`, reporting its commits to `metrics`.
    init(
        store: FeatureStore, name: String, grouping: Bool = true, metrics: CollectionMetrics? = nil,
        maximumPendingWeight: Int = 200_000, maximumGroupWeight: Int = 20_000
    ) {
        self.store = store
        self.metrics = metrics
        self.grouping = grouping
        self.queue = DispatchQueue(label: "fmdb.writer.\(name)", qos: .userInitiated)
        self.maximumPendingWeight = maximumPendingWeight
        self.maximumGroupWeight = maximumGroupWeight
    }

    /// Runs `writes` in the next group transaction and returns its result once that committed.
    func write<R: Sendable>(weight: Int, _ writes: @escaping @Sendable (WriteTransaction) throws -> R) async throws -> R {
        let result = Mutex<R?>(nil)
        try await enqueue(weight: weight, writes: { txn in
            let value = try writes(txn)
            result.withLock { $0 = value }
        }, exclusive: nil)
        guard let value = result.withLock({ $0 }) else { throw APIError.internalError("a committed write left no result") }
        return value
    }

    /// Runs `work` alone on the writer thread (for work that opens its own transactions, such as learning).
    func exclusive<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
        let result = Mutex<R?>(nil)
        try await enqueue(weight: 1, writes: nil, exclusive: {
            let value = try work()
            result.withLock { $0 = value }
        })
        guard let value = result.withLock({ $0 }) else { throw APIError.internalError("exclusive work left no result") }
        return value
    }

    /// Refuses new writes, then waits until every accepted one has committed.
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
    }

    private func enqueue(
        weight: Int, writes: (@Sendable (WriteTransaction) throws -> Void)?, exclusive: (@Sendable () throws -> Void)?
    ) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let job = Job(writes: writes, exclusive: exclusive, weight: weight) { continuation.resume(with: $0) }
            enum Decision { case refuseClosed, refuseFull, queued(startDrain: Bool) }
            let decision = state.withLock { state -> Decision in
                if state.closed { return .refuseClosed }
                if !state.pending.isEmpty, state.pendingWeight + weight > maximumPendingWeight { return .refuseFull }
                state.pending.append(job)
                state.pendingWeight += weight
                if state.draining { return .queued(startDrain: false) }
                state.draining = true
                return .queued(startDrain: true)
            }
            switch decision {
            case .refuseClosed:
                continuation.resume(throwing: APIError(.serviceUnavailable, "unavailable", "the collection is closing"))
            case .refuseFull:
                continuation.resume(throwing: APIError.overloaded("too many writes are waiting for this collection; retry"))
            case .queued(let startDrain):
                if startDrain { queue.async { self.drain() } }
            }
        }
    }

    private func drain() {
        while true {
            let group = state.withLock { state -> [Job] in
                guard !state.pending.isEmpty else {
                    state.draining = false
                    return []
                }
                var taken = 0, weight = 0
                for job in state.pending {
                    // exclusive work runs alone; a group stops before it
                    if job.exclusive != nil { taken = taken == 0 ? 1 : taken; break }
                    if taken > 0, !grouping || weight + job.weight > maximumGroupWeight { break }
                    taken += 1
                    weight += job.weight
                }
                let group = Array(state.pending.prefix(taken))
                state.pending.removeFirst(taken)
                state.pendingWeight -= group.reduce(0) { $0 + $1.weight }
                return group
            }
            if group.isEmpty { return }
            run(group)
        }
    }

    private func run(_ group: [Job]) {
        if group.count == 1, let exclusive = group[0].exclusive {
            group[0].finish(Result { try exclusive() })
            return
        }
        var remaining = group
        while !remaining.isEmpty {
            let started = ContinuousClock.now
            var refused: Int?          // the request whose writes threw, if one did (not the commit)
            do {
                try store.write { txn in
                    for (index, job) in remaining.enumerated() {
                        do { try job.writes?(txn) } catch {
                            refused = index
                            throw error
                        }
                    }
                }
                committed(requests: remaining.count, since: started)
                for job in remaining { job.finish(.success(())) }
                return
            } catch {
                guard let refused else {
                    if remaining.count == 1 { remaining[0].finish(.failure(error)) } else { retryAlone(remaining) }
                    return
                }
                // it saw the writes of the requests before it, as it would have one after the other
                remaining.remove(at: refused).finish(.failure(error))
            }
        }
    }

    /// After a failed commit: each request in a transaction of its own.
    private func retryAlone(_ group: [Job]) {
        for job in group {
            let started = ContinuousClock.now
            let result = Result<Void, any Error> { try store.write { txn in try job.writes?(txn) } }
            if case .success = result { committed(requests: 1, since: started) }
            job.finish(result)
        }
    }

    private func committed(requests: Int, since started: ContinuousClock.Instant) {
        if let metrics {
            metrics.commits.increment()
            metrics.commitDuration.record(ContinuousClock.now - started)
            metrics.groupRequests.record(Double(requests))
        }
    }
}
