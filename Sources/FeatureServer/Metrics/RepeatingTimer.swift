import Dispatch
import Synchronization

/// Runs `action` every `interval` seconds on a serial queue of its own, from `start()` until `stop()`.
final class RepeatingTimer: @unchecked Sendable {
    // @unchecked: the dispatch source is thread-safe; `state` says what was done with it, so a
    // source is never released suspended (libdispatch traps on that)
    private let source: any DispatchSourceTimer
    private let queue: DispatchQueue
    private let state = Mutex<State>(.created)

    private enum State { case created, running, stopped }

    /// A timer calling `action` every `interval` seconds, the first call after `firstDelay`.
    init(label: String, interval: Double, firstDelay: Double, action: @escaping @Sendable () -> Void) {
        queue = DispatchQueue(label: label, qos: .utility)
        source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + firstDelay, repeating: interval, leeway: .milliseconds(50))
        source.setEventHandler(handler: action)
    }

    /// Starts the calls.
    func start() {
        let starts = state.withLock { state in
            guard state == .created else { return false }
            state = .running
            return true
        }
        if starts { source.resume() }
    }

    /// Stops the calls and waits for one in progress.
    func stop() {
        let previous = state.withLock { state in
            defer { state = .stopped }
            return state
        }
        guard previous != .stopped else { return }
        source.cancel()
        if previous == .created { source.resume() }
        queue.sync {}
    }

    deinit { stop() }
}
