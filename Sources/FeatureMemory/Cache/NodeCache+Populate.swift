import Foundation
internal import CFeatureMemoryShims

/// Backing the arena with pages ahead of the fills, from the prefetch thread.
extension NodeCache {
    /// How far ahead of the filled slots `populateAhead` backs the arena with pages.
    static let populateMargin = 8 << 20
    /// Fills ask for more once fewer bytes than this are populated ahead of them.
    static let populateLowWater = 4 << 20

    /// Backs the arena with pages up to `slots` entries (at least `populateMargin` bytes) past
    /// the filled ones, within the size target, marked for huge pages first so the faults take
    /// 2 MiB pages. Called from the prefetch thread: a first write to a page costs a fault that
    /// zeroes it, which a search filling the cache should not pay. Marking the range only after
    /// populating it with 4 KiB pages left khugepaged to merge them in its own time (16 MiB per 10 s
    /// by default): a benchmark or a short-lived process searched on small pages throughout, a
    /// translation miss per node visited (MiniLM warm search 1.045x at ef 24 and 1.067x at ef 64
    /// on huge pages, 4 interleaved rounds; open and first answer unchanged).
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
        _ = madvise(arena + start, end - start, MADV_HUGEPAGE)
        _ = fm_populate_write(arena + start, end - start)
        lock.lock()
        if shrinks == generation { populated = max(populated, end) }
        lock.unlock()
    }
}
