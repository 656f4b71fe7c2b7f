import Synchronization

/// The counters the server's handlers bump, lock-free; `ServerMetrics` exports them on /metrics.
final class ServerCounters: Sendable {
    /// A monotonically increasing count.
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        /// Adds `amount`.
        func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }
        /// The count now.
        var current: Int { value.load(ordering: .relaxed) }
    }

    /// Requests refused with 503 because too many were waiting.
    let overloaded = Counter()
    /// Connections closed at once because `--max-connections` were open.
    let connectionsRefused = Counter()
    /// Connections closed because their request headers did not arrive in time.
    let headerTimeouts = Counter()
    /// Requests being handled now.
    let inFlight = Atomic<Int>(0)
    /// Connections open now.
    let connections = Atomic<Int>(0)
}
