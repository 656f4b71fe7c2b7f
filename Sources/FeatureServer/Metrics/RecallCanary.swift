import Dispatch
import FeatureMemory
import Synchronization

/// Watches whether approximate search still finds the right neighbours: it keeps a few of the
/// collection's most recent graph searches and, when the server's canary runs, searches each
/// again in one snapshot both ways — through the graph with the query's own ef, and exhaustively —
/// and averages recall@k over the last `window` queries checked.
///
/// Both searches share a snapshot, so writes between the user's query and the check do not count
/// against the graph: what falls is the graph's quality or a too small ef, not churn.
final class RecallCanary: Sendable {
    /// A query to check again.
    struct Sample: Sendable {
        var vector: [Float]
        var k: Int
        var ef: Int?
        var label: String?
    }

    /// The estimate now.
    struct Estimate: Sendable, Equatable {
        /// Mean recall@k of the queries checked, 0…1.
        var recall: Double
        /// Queries it averages (at most `window`).
        var sampleSize: Int
    }

    private struct State {
        var pending: [Sample] = []
        var recalls: [Double] = []
        var next = 0
        var sum = 0.0
    }

    /// Queries kept waiting for a check.
    static let pendingCapacity = 8
    /// Checked queries the estimate averages.
    let window: Int
    private let state = Mutex(State())
    // read on every search: set only while fewer than `pendingCapacity` samples wait
    private let wantsSamples = Atomic<Bool>(true)

    /// A canary averaging the last `window` checks.
    init(window: Int = 1_000) { self.window = max(1, window) }

    /// Offers a search just answered; kept when the canary wants one (a relaxed load otherwise).
    @inline(__always)
    func offer(_ sample: @autoclosure () -> Sample) {
        guard wantsSamples.load(ordering: .relaxed) else { return }
        let taken = sample()
        state.withLock { state in
            guard state.pending.count < Self.pendingCapacity else { return }
            state.pending.append(taken)
            if state.pending.count >= Self.pendingCapacity { wantsSamples.store(false, ordering: .relaxed) }
        }
    }

    /// The estimate, or nil before the first check.
    var estimate: Estimate? {
        state.withLock { state in
            state.recalls.isEmpty ? nil : Estimate(recall: state.sum / Double(state.recalls.count), sampleSize: state.recalls.count)
        }
    }

    /// Whether samples wait.
    var hasPending: Bool { state.withLock { !$0.pending.isEmpty } }

    /// What one check found.
    enum Check: Equatable {
        /// No sample was waiting.
        case none
        /// A sample was checked: of `expected` true neighbours, the graph found `found`.
        case checked(found: Int, expected: Int)
        /// A sample the store refuses now (its label or dimension no longer fits), dropped.
        case dropped
    }

    /// Checks the oldest waiting sample against `store`.
    @discardableResult
    func checkOne(in store: FeatureStore, defaultEf: Int?) -> Check {
        let sample = state.withLock { state -> Sample? in
            guard !state.pending.isEmpty else { return nil }
            return state.pending.removeFirst()
        }
        wantsSamples.store(true, ordering: .relaxed)
        guard let sample else { return .none }
        let counts = try? store.read { txn in
            try txn.graphRecall(
                of: sample.vector, count: sample.k, ef: sample.ef ?? defaultEf, filter: sample.label.map { SearchFilter.label($0) })
        }
        guard let counts = counts ?? nil else { return .dropped }
        record(counts.recall)
        return .checked(found: counts.found, expected: counts.expected)
    }

    /// Adds one checked query's recall.
    func record(_ recall: Double) {
        state.withLock { state in
            if state.recalls.count < window {
                state.recalls.append(recall)
            } else {
                state.sum -= state.recalls[state.next]
                state.recalls[state.next] = recall
                state.next = (state.next + 1) % window
            }
            state.sum += recall
        }
    }
}
