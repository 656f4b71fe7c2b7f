import Foundation

/// Reusable scratch objects (codecs, later search buffers) handed to one transaction at a time,
/// so the hot paths allocate nothing per call.
final class ScratchPool<Element: AnyObject>: @unchecked Sendable {
    // @unchecked: elements are only touched by the transaction that took them; the list is
    // guarded by the mutex.
    private let lock = NSLock()
    private var free: [Element] = []
    private let make: @Sendable () -> Element
    private let limit: Int

    init(limit: Int = 64, make: @escaping @Sendable () -> Element) {
        self.make = make
        self.limit = limit
    }

    /// An element for exclusive use until `give` is called.
    func take() -> Element {
        lock.withLock { free.popLast() } ?? make()
    }

    /// Returns an element taken with `take`.
    func give(_ element: Element) {
        lock.withLock {
            if free.count < limit { free.append(element) }
        }
    }
}
