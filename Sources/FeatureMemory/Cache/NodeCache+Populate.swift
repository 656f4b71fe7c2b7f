import Foundation
internal import CFeatureMemoryShims

/// Backing the arena with pages ahead of the fills, from the prefetch thread.
extension NodeCache {
    /// How far ahead of the filled slots `populateAhead` backs the arena with pages.
    static let populateMargin = 8 << 20
    /// Fills ask for more once fewer bytes than this are populated ahead of them.
    static let populateLowWater = 4 << 20

    /// Backs the arena with pages up to `slots` entries (at least `populateMargin` bytes) past
    /// the filled ones, within the size target, then lets the kernel merge them into huge pages.
    /// Called from the prefetch thread: a first write to a page costs a fault that zeroes it,
    /// which a search filling the cache should not pay. The range is populated with 4 KiB pages
    /// and only then marked for huge pages (khugepaged merges them in its own time): on this
    /// project's virtual machine a fresh 2 MiB page costs about 5 ms to fault in, eight times
    /// what its 512 small pages cost (32 MiB: 150 ms against 19 ms).
    func populateAhead(slots: Int = 0) {
        guard mapping != nil else { return }
        lock.lock()
        populateRequested = false
        let wanted = min(sizing.target * stride, max(used * stride + Self.populateMargin, (used + slots) * stride))
        let hugePage = 2 << 20
        let start = populated
        let end = min((wanted + hugePage - 1) & ~(hugePage - 1), arenaBytes & ~4095)
        let generation = shrinks
        lock.unlock()
        guard end > start else { return }
        // the range may hold slots being filled now: populating leaves contents as they are
        _ = fm_populate_write(arena + start, end - start)
        _ = madvise(arena + start, end - start, MADV_HUGEPAGE)
        lock.lock()
        if shrinks == generation { populated = max(populated, end) }
        lock.unlock()
    }
}
