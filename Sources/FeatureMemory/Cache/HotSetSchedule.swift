import Foundation

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
