internal import CFeatureMemoryShims

/// The read side of a `NodeCache` as raw pointers and sizes (see `NodeCache.view`).
struct NodeCacheView {
    let arena: UnsafeMutableRawPointer
    let indexSlot: UnsafeMutablePointer<UnsafeRawPointer?>
    let shared: UnsafeMutablePointer<UInt64>
    let stride: Int
    let vectorOffset: Int
    let maximumLinks: Int
    let format: CacheFormat

    /// Runs `body` on `node`'s slot when it holds exactly what snapshot `snapshot` holds; nil on a
    /// miss, or when a filler rewrote the slot meanwhile (then `body`'s result is discarded).
    @inline(__always)
    func withEntry<R>(_ node: UInt32, snapshot: UInt64, epoch: UInt32 = 0, _ body: (NodeSlot) -> R) -> R? {
        guard let entry = slot(of: node), let before = sequence(of: entry, holding: node, at: snapshot) else { return nil }
        let result = body(entry)
        guard unchanged(entry, since: before) else { return nil }
        if entry.epoch.pointee != epoch || entry.origin.pointee != 0 { noteUse(entry, epoch: epoch) }
        return result
    }

    /// Whether `node` has an entry usable at `snapshot`, leaving its use count and its prefetcher's
    /// credit alone (for prefetchers deciding what to skip).
    func holds(_ node: UInt32, at snapshot: UInt64) -> Bool {
        guard let entry = slot(of: node), let before = sequence(of: entry, holding: node, at: snapshot) else { return false }
        return unchanged(entry, since: before)
    }

    /// The current node index (the cache always has one: it is replaced, never removed).
    @inline(__always)
    private var indexBlock: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(mutating: fm_load_pointer(UnsafePointer(OpaquePointer(indexSlot)))!)
    }

    /// The slot the node index assigns `node`, if any; its contents are still to be checked.
    @inline(__always)
    func slot(of node: UInt32) -> NodeSlot? {
        let block = indexBlock
        let index = Int(node)
        guard index < NodeIndex.capacity(block) else { return nil }
        let slotPlusOne = fm_load_u32_relaxed(NodeIndex.slots(block) + index)
        guard slotPlusOne != 0 else { return nil }
        return NodeSlot(arena + Int(slotPlusOne &- 1) * stride)
    }

    /// The slot's sequence number, read before use, when the slot holds `node` exactly as snapshot
    /// `snapshot` holds it (see `NodeCache` for the rule); nil otherwise.
    @inline(__always)
    func sequence(of entry: NodeSlot, holding node: UInt32, at snapshot: UInt64) -> UInt32? {
        let before = fm_load_u32_acquire(entry.sequence)
        guard before & 1 == 0, entry.node == node else { return nil }
        let bound = min(entry.loadedAt, snapshot)
        guard fm_load_u64_acquire(entry.changedAt) <= bound,
              fm_load_u64_relaxed(shared) <= bound else { return nil }
        return before
    }

    /// Whether no filler rewrote the slot since its sequence number read `before`.
    @inline(__always)
    func unchanged(_ entry: NodeSlot, since before: UInt32) -> Bool {
        fm_fence_acquire()
        return fm_load_u32_relaxed(entry.sequence) == before
    }

    /// Counts a use by a search (once per search, so the nodes one search touches twice do not
    /// look popular) and credits the entry's prefetcher on its first use. Racing readers may lose
    /// an increment; the count only steers eviction. A count at its top is left alone, epoch
    /// included: writing the epoch of every visited slot on every search dirtied a cache line per
    /// node (the C search's copy of this measured 1.03x faster without it on 200,000 × 128).
    func noteUse(_ entry: NodeSlot, epoch: UInt32) {
        if epoch != 0 {
            let count = fm_load_u8_relaxed(entry.frequency)
            if count < 3 && fm_load_u32_relaxed(entry.epoch) != epoch {
                fm_store_u32_relaxed(entry.epoch, epoch)
                fm_store_u8_relaxed(entry.frequency, count + 1)
            }
        }
        if entry.origin.pointee != 0 {
            let origin = fm_exchange_u8(entry.origin, 0)
            if origin != 0 { _ = fm_add_u64(shared + NodeCache.usedCounterBase + Int(origin) - 1, 1) }
        }
    }

    /// Starts loading the node index's entry for `node` into the processor cache.
    @inline(__always)
    func prefetchLookup(_ node: UInt32) {
        let block = indexBlock
        guard Int(node) < NodeIndex.capacity(block) else { return }
        fm_prefetch_line(NodeIndex.slots(block) + Int(node))
    }

    /// Starts loading `node`'s slot into the processor cache, when it has one.
    @inline(__always)
    func prefetch(_ node: UInt32) {
        guard let entry = slot(of: node) else { return }
        fm_prefetch_line(entry.base)
        fm_prefetch_range(entry.base + vectorOffset, stride - vectorOffset)
    }
}
