import Foundation
internal import CFeatureMemoryShims

/// Counting lookups and hits, and sizing the cache by them (see `AdaptiveSizing`).
extension NodeCache {
    /// Adds one search's lookups and hits to the totals; every `AdaptiveSizing.window` lookups the
    /// target size is reconsidered.
    func record(lookups: Int, hits: Int) {
        guard lookups > 0 else { return }
        _ = fm_add_u64(shared + Shared.lookups.rawValue, UInt64(lookups))
        _ = fm_add_u64(shared + Shared.hits.rawValue, UInt64(hits))
        _ = fm_add_u64(shared + Shared.windowHits.rawValue, UInt64(hits))
        let window = fm_add_u64(shared + Shared.windowLookups.rawValue, UInt64(lookups))
        if window >= AdaptiveSizing.window, lock.try() {
            resize()
            lock.unlock()
            onWindow?()
        }
    }

    private func resize() {
        let lookups = fm_load_u64_relaxed(shared + Shared.windowLookups.rawValue)
        guard lookups >= AdaptiveSizing.window else { return }
        let hits = fm_load_u64_relaxed(shared + Shared.windowHits.rawValue)
        let evictions = fm_load_u64_relaxed(shared + Shared.windowEvictions.rawValue)
        fm_store_u64_relaxed(shared + Shared.windowLookups.rawValue, 0)
        fm_store_u64_relaxed(shared + Shared.windowHits.rawValue, 0)
        fm_store_u64_relaxed(shared + Shared.windowEvictions.rawValue, 0)
        let newTarget = sizing.next(hitRate: Double(hits) / Double(lookups), evictions: Int(evictions), used: used)
        if newTarget < used { shrink(to: newTarget) }
        fm_store_u64_relaxed(shared + Shared.full.rawValue, used >= sizing.target ? 1 : 0)
    }

    /// Frees the slots at and above `target` and gives their memory back to the system.
    private func shrink(to target: Int) {
        let block = currentIndex
        for slot in target..<used { release(slot, block) }
        eviction.removeSlots(from: target)
        let start = (target * stride + 4095) & ~4095
        let end = used * stride
        if end > start { madvise(arena + start, end - start, MADV_DONTNEED) }
        used = target
        populated = min(populated, start)
        shrinks += 1
    }

    /// Whether the prefetch thread is loading the whole store: searches then leave what they
    /// read from the map to it rather than also filling the cache themselves.
    var isLoadingWhole: Bool {
        get { fm_load_u64_relaxed(shared + Shared.loadingWhole.rawValue) != 0 }
        set { fm_store_u64_relaxed(shared + Shared.loadingWhole.rawValue, newValue ? 1 : 0) }
    }

    /// Whether every slot of the target is taken, so a fill evicts (read without the lock: a hint).
    var isFull: Bool { fm_load_u64_relaxed(shared + Shared.full.rawValue) != 0 }

    /// What the cache holds and how it has done.
    var statistics: NodeCacheStatistics {
        lock.lock()
        defer { lock.unlock() }
        func value(_ key: Shared) -> Int { Int(fm_load_u64_relaxed(shared + key.rawValue)) }
        return NodeCacheStatistics(
            budgetBytes: budgetBytes, targetBytes: sizing.target * stride, bytesInUse: used * stride, entries: used,
            lookups: value(.lookups), hits: value(.hits), fills: value(.fills), evictions: value(.evictions),
            prefetched: [value(.prefetchedGraph), value(.prefetchedWarm), value(.prefetchedPredictive)],
            prefetchUsed: [value(.usedGraph), value(.usedWarm), value(.usedPredictive)])
    }
}
