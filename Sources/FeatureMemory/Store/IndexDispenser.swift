import Foundation

/// Hands out the indices `0..<count` one at a time to worker threads, so that a thread that
/// drew cheap items takes more of them instead of waiting for the others at the join.
final class IndexDispenser: @unchecked Sendable {
    // @unchecked: `next` is only touched under `lock`.
    private let lock = NSLock()
    private var next = 0
    private let count: Int

    init(count: Int) { self.count = count }

    /// The next index not handed out yet; nil when every one has been.
    func take() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
