import Prometheus
import Synchronization

/// A Prometheus counter that follows one of the server's own counters, by the increase since
/// it was last brought up to date.
final class MirroredCounter: Sendable {
    private let counter: Counter
    private let exported = Mutex(0)

    init(_ counter: Counter) { self.counter = counter }

    /// Adds what `value` grew by since the last update.
    func update(_ value: Int) {
        let delta = exported.withLock { exported in
            defer { exported = max(exported, value) }
            return value - exported
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}
