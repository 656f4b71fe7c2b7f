import Foundation

/// Results that worker threads write at disjoint indices, read after they have all joined.
final class ParallelSlots<T>: @unchecked Sendable {
    // @unchecked: each index is written by exactly one thread; reads happen after the join.
    private let buffer: UnsafeMutableBufferPointer<T>

    init(count: Int, initial: T) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: initial)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    subscript(index: Int) -> T {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }

    /// Every slot, in order.
    var values: [T] { Array(buffer) }
}

/// The first error raised by any worker thread.
final class FirstError: @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: Error?

    /// Keeps `error` unless one was kept before.
    func set(_ error: Error) { lock.withLock { if stored == nil { stored = error } } }

    /// The error kept, if any.
    var error: Error? { lock.withLock { stored } }
}
