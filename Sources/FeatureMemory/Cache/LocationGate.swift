import Foundation
import Synchronization

/// Holds searches back while the prefetch thread locates every node of a store just opened.
///
/// Until a node is located, a search that meets it outside the node cache looks it up in two
/// B-trees, through page faults of a map nothing has read yet: the first searches after opening
/// take milliseconds each while the location pass runs beside them, and the pass finishes no
/// sooner for the company. Waiting for the pass (tens of milliseconds for 100,000 nodes) turns a
/// run of slow searches into one slower search. The wait is bounded: past `maximumWait` a search
/// goes ahead without it.
///
/// The first search never waits: a process that searches once (a command, a one-shot job) needs
/// none of the pass, and its one search costs less cold than the pass does; the searches after
/// it wait, since by then the pass is likely to pay.
final class LocationGate: Sendable {
    /// How long a search waits at most, by default.
    static let defaultMaximumWait: TimeInterval = 0.25

    /// How long a search waits at most.
    let maximumWait: TimeInterval
    private let open = Atomic<Bool>(true)
    private let firstWentAhead = Atomic<Bool>(false)
    private let firstEnded = Atomic<Bool>(false)
    private let condition = NSCondition()
    /// Searches waiting now (read by tests, to order events without sleeping).
    private let waiters = Atomic<Int>(0)

    /// A gate, open, that holds a search at most `maximumWait` seconds.
    init(maximumWait: TimeInterval = LocationGate.defaultMaximumWait) { self.maximumWait = maximumWait }

    /// Searches waiting at the gate now.
    var waiting: Int { waiters.load(ordering: .acquiring) }

    /// Closes the gate: searches wait from now until `release`.
    func hold() {
        condition.lock()
        open.store(false, ordering: .releasing)
        condition.unlock()
    }

    /// Opens the gate and wakes the searches waiting at it.
    func release() {
        condition.lock()
        open.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
    }

    /// Notes that a search ended; the first such note wakes a warm start waiting for it.
    @inline(__always)
    func searchEnded() {
        if firstEnded.load(ordering: .relaxed) { return }
        guard !firstEnded.exchange(true, ordering: .acquiringAndReleasing) else { return }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once a search has ended, `limit` seconds have passed, or `stop` says so (asked
    /// every few milliseconds).
    func waitForFirstSearch(limit: TimeInterval, stop: () -> Bool) {
        let deadline = Date(timeIntervalSinceNow: limit)
        condition.lock()
        defer { condition.unlock() }
        while !firstEnded.load(ordering: .acquiring) && !stop() && Date() < deadline {
            _ = condition.wait(until: min(deadline, Date(timeIntervalSinceNow: 0.002)))
        }
    }

    /// Returns once the gate is open, or after `maximumWait`.
    @inline(__always)
    func pass() {
        if open.load(ordering: .acquiring) { return }
        if !firstWentAhead.exchange(true, ordering: .acquiringAndReleasing) { return }
        let deadline = Date(timeIntervalSinceNow: maximumWait)
        condition.lock()
        waiters.add(1, ordering: .releasing)
        while !open.load(ordering: .acquiring) && condition.wait(until: deadline) {}
        waiters.subtract(1, ordering: .releasing)
        condition.unlock()
    }
}
