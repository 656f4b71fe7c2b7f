import Foundation
internal import CFeatureMemoryShims

/// Decoded vectors and layer-0 links of the nodes searches touch, in fixed-size slots laid out
/// like an in-memory HNSW index (links, then the vector, one cache-line-aligned block per node),
/// shared by every reader of the store in this process and bounded by a byte budget.
///
/// Readers take no lock: each slot is guarded by a sequence number (odd while a filler rewrites
/// it), read before and after use; a reader that sees it change discards what it computed and
/// reads the map instead. Fills, evictions and resizing hold `lock`.
///
/// What a reader may observe: an entry records the snapshot it was read from (`loadedAt`). Every
/// write transaction of this process stamps each node it changes with its transaction id before
/// it commits (`modifiedAt`), and commits by other processes or store objects, noticed when a
/// snapshot newer than any this cache knows of is opened, raise `floor`. A reader of snapshot S
/// uses an entry loaded at L only when `floor ≤ min(L, S)` and the node's stamp ≤ min(L, S): no
/// change to the node can lie between the two snapshots, so the entry holds exactly what S holds.
/// Anything else is a miss, read from the map of S. A reader therefore never sees data that was
/// not committed, nor data newer or older than its own snapshot.
final class NodeCache: @unchecked Sendable {
    // @unchecked: the slot arena and node index are shared raw memory, accessed with the
    // seqlock protocol above and atomic loads and stores; the rest changes under `lock`.

    let dimension: Int
    /// Layer-0 links a slot holds (2M).
    let maximumLinks: Int
    /// Bytes per slot, a multiple of 64.
    let stride: Int
    /// How vectors are kept.
    let format: CacheFormat
    /// Offset of the vector (scaled float16, see `fm_half_encode`) within a slot.
    let vectorOffset: Int
    /// Slots the budget holds.
    let capacity: Int
    /// The byte budget the cache never exceeds.
    let budgetBytes: Int

    let arena: UnsafeMutableRawPointer
    /// The anonymous mapping the arena lies in (nil when it came from the heap).
    let mapping: (start: UnsafeMutableRawPointer, length: Int)?
    /// The current node index block (see `NodeIndex`), published with an atomic pointer store.
    private let indexSlot: UnsafeMutablePointer<UnsafeRawPointer?>
    /// Every node index block made, the current one last: replaced ones stay until the cache goes.
    private var indexBlocks: [ZeroedBlock] = []
    // internal, not private: the image extension (NodeCache+Image.swift) works on them under `lock`
    let shared: UnsafeMutablePointer<UInt64>
    let lock = NSLock()
    var used = 0
    var eviction: EvictionQueues
    /// Called after each sizing window (the store reports its metrics); set once, before use.
    var onWindow: (@Sendable () -> Void)?
    /// Called, under the cache's lock, when fills near the end of the memory populated ahead (the
    /// store asks its prefetch thread to populate more); set once, before use.
    var onLowWater: (@Sendable () -> Void)?
    /// Bytes of the arena from its start backed with pages ahead of use (see `populateAhead`).
    var populated = 0
    /// Raised by each shrink, so a populate that raced one does not count pages it gave back.
    var shrinks = 0
    var populateRequested = false
    /// The arena's length in bytes.
    let arenaBytes: Int
    /// One byte per hash bucket of node ids: set by a node's first miss while the cache is full
    /// (see `admits`), cleared every `doorkeeperMask / 2 + 1` first misses.
    let doorkeeper: UnsafeMutablePointer<UInt8>
    private let doorkeeperBlock: ZeroedBlock
    /// The doorkeeper's length less one (a power of two less one).
    let doorkeeperMask: Int
    var sizing: AdaptiveSizing

    /// The word of `shared` where the per-prefetcher use counters start.
    static var usedCounterBase: Int { Shared.usedGraph.rawValue }

    /// Words of `shared`: the snapshot bookkeeping, read by every lookup, sits a cache line apart
    /// from the counters that searches add to.
    enum Shared: Int, CaseIterable {
        case floor = 0, explained, pending
        case lookups = 8, hits, fills, evictions, windowLookups, windowHits, windowEvictions
        case prefetchedGraph, prefetchedWarm, prefetchedPredictive, usedGraph, usedWarm, usedPredictive, epoch, full, loadingWhole
        case firstMisses, refused
        static var wordCount: Int { refused.rawValue + 1 }
    }

    /// A cache for vectors of `dimension` floats and `maximumLinks` layer-0 links, within
    /// `budgetBytes`, for a store whose newest snapshot is `snapshot` and whose node ids are below
    /// `nodeBound`.
    init(dimension: Int, maximumLinks: Int, budgetBytes: Int, snapshot: UInt64, nodeBound: Int, policy: CachePolicy = .clock,
         format: CacheFormat = .bytes) {
        self.dimension = dimension
        self.maximumLinks = maximumLinks
        vectorOffset = NodeSlot.vectorOffset(maximumLinks: maximumLinks)
        self.format = format
        stride = (vectorOffset + format.vectorBytes(dimension: dimension) + 63) & ~63
        capacity = max(budgetBytes / stride, 0)
        self.budgetBytes = budgetBytes
        // address space only: pages are touched as slots fill, and given back when the target shrinks
        let arenaBytes = max(capacity * stride, 4096)
        self.arenaBytes = arenaBytes
        // 2 MiB aligned, so that the kernel can back it with transparent huge pages once it is
        // populated (see `populateAhead`): searches jump between random slots, and with 4 KiB
        // pages nearly every vector read of a large cache would also miss the TLB
        let hugePage = 2 << 20
        let mapped = mmap(nil, arenaBytes + hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if let mapped, mapped != MAP_FAILED {
            mapping = (mapped, arenaBytes + hugePage)
            let aligned = (Int(bitPattern: mapped) + hugePage - 1) & ~(hugePage - 1)
            arena = UnsafeMutableRawPointer(bitPattern: aligned)!
        } else {
            mapping = nil
            arena = .allocate(byteCount: arenaBytes, alignment: 64)
        }
        let index = NodeIndex.allocate(capacity: max(nodeBound + nodeBound / 4, 1024))
        indexBlocks = [index]
        indexSlot = .allocate(capacity: 1)
        indexSlot.initialize(to: UnsafeRawPointer(index.base))
        shared = .allocate(capacity: Shared.wordCount)
        shared.initialize(repeating: 0, count: Shared.wordCount)
        shared[Shared.floor.rawValue] = snapshot
        shared[Shared.explained.rawValue] = snapshot
        sizing = AdaptiveSizing(capacity: capacity)
        eviction = EvictionQueues(policy: policy)
        // twice the slots, so that a window of first misses as long as the cache leaves most buckets apart
        let buckets = max(4096, 1 << (Int.bitWidth - (max(capacity, 1) * 2 - 1).leadingZeroBitCount))
        doorkeeperBlock = ZeroedBlock(bytes: buckets)
        doorkeeper = doorkeeperBlock.base.bindMemory(to: UInt8.self, capacity: buckets)
        doorkeeperMask = buckets - 1
    }

    deinit {
        if let mapping { munmap(mapping.start, mapping.length) } else { arena.deallocate() }
        for block in indexBlocks { block.release() }
        indexSlot.deallocate()
        shared.deallocate()
        doorkeeperBlock.release()
    }

    // MARK: snapshots and invalidation

    /// Called when a read transaction of snapshot `snapshot` starts using the cache: a snapshot
    /// newer than every commit this cache knows of means another process or store object wrote,
    /// so every entry loaded before it stops being used.
    func observe(snapshot: UInt64) {
        fm_fence_acquire()
        if snapshot <= fm_load_u64_relaxed(shared + Shared.explained.rawValue) { return }
        if snapshot == fm_load_u64_relaxed(shared + Shared.pending.rawValue) { return }
        // floor first: once `explained` covers the snapshot, other readers trust the entries
        _ = fm_max_u64(shared + Shared.floor.rawValue, snapshot)
        _ = fm_max_u64(shared + Shared.explained.rawValue, snapshot)
    }

    /// Called when this process's writer starts transaction `transaction` (the newest snapshot + 1).
    func writerBegins(_ transaction: UInt64) {
        observe(snapshot: transaction - 1)
        fm_store_u64_release(shared + Shared.pending.rawValue, transaction)
    }

    /// Marks `node` as changed by the write transaction `transaction`, before it commits.
    func invalidate(_ node: UInt32, by transaction: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        ensureIndexCapacity(Int(node))
        let block = currentIndex
        guard Int(node) < NodeIndex.capacity(block) else { return }
        fm_store_u64_release(NodeIndex.modified(block) + Int(node), transaction)
        // the slot carries the stamp too, so a lookup reads one cache line, not the index
        let slotPlusOne = fm_load_u32_relaxed(NodeIndex.slots(block) + Int(node))
        if slotPlusOne != 0 {
            let slot = self.slot(Int(slotPlusOne - 1))
            if slot.node == node { fm_store_u64_release(slot.changedAt, transaction) }
        }
    }

    /// Called when this process's writer gives up transaction `transaction` without committing
    /// it, before LMDB's writer lock is released: another writer (a process or store object) may
    /// then commit a transaction with the same id, and readers must take that one for a commit
    /// they have not seen (raising `floor`), not for this writer's.
    func writerAbandoned(_ transaction: UInt64) {
        // only the writer, serialized, changes `pending`
        if fm_load_u64_relaxed(shared + Shared.pending.rawValue) == transaction {
            fm_store_u64_release(shared + Shared.pending.rawValue, 0)
        }
    }

    /// Called after the writer's commit of `transaction` succeeded.
    func writerCommitted(_ transaction: UInt64) {
        fm_fence_release()
        _ = fm_max_u64(shared + Shared.explained.rawValue, transaction)
    }

    // MARK: reading

    /// A number for the next search (never 0), so an entry's use count rises once per search.
    func nextEpoch() -> UInt32 {
        let epoch = UInt32(truncatingIfNeeded: fm_add_u64(shared + Shared.epoch.rawValue, 1))
        return epoch == 0 ? 1 : epoch
    }

    var currentIndex: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(mutating: fm_load_pointer(UnsafePointer(OpaquePointer(indexSlot)))!)
    }

    /// The lock-free read side of the cache as plain values, so a search's lookups cost no
    /// reference counting (valid while the cache lives; a search's graph holds it).
    var view: NodeCacheView {
        NodeCacheView(arena: arena, indexSlot: indexSlot, shared: shared, stride: stride, vectorOffset: vectorOffset,
                      maximumLinks: maximumLinks, format: format)
    }

    /// Runs `body` on `node`'s slot when it holds exactly what snapshot `snapshot` holds; nil on a
    /// miss, or when a filler rewrote the slot meanwhile (then `body`'s result is discarded).
    @inline(__always)
    func withEntry<R>(_ node: UInt32, snapshot: UInt64, epoch: UInt32 = 0, _ body: (NodeSlot) -> R) -> R? {
        view.withEntry(node, snapshot: snapshot, epoch: epoch, body)
    }

    /// The external id stored with `node`'s entry, when it has one usable at `snapshot`.
    @inline(__always)
    func externalID(_ node: UInt32, snapshot: UInt64) -> UInt64? {
        guard let id = withEntry(node, snapshot: snapshot, { $0.externalID }), id != NodeSlot.unknownID else { return nil }
        return id
    }

    /// Whether `node` has an entry usable at `snapshot`. With `countingUse` false (prefetchers
    /// checking what to skip), the entry's use count and its prefetcher's credit are left alone.
    func contains(_ node: UInt32, snapshot: UInt64, countingUse: Bool = true) -> Bool {
        countingUse ? withEntry(node, snapshot: snapshot) { _ in true } ?? false : view.holds(node, at: snapshot)
    }

    /// Whether a store of `nodes` nodes fits the cache whole (then the warm start loads all of it).
    func holdsWhole(nodes: Int) -> Bool { nodes <= capacity }

    /// Raises the size target to hold `nodes` entries when the budget allows; false when it does not.
    func reserve(nodes: Int) -> Bool {
        guard holdsWhole(nodes: nodes) else { return false }
        lock.lock()
        defer { lock.unlock() }
        sizing.reserve(nodes)
        return true
    }

    // MARK: filling

    /// Stores `node`'s vector (`dimension` floats, norm `norm`) and layer-0 links as of snapshot
    /// `snapshot`, evicting another entry when the cache is at its target size.
    func fill(
        _ node: UInt32, snapshot: UInt64, id: UInt64?, vector: UnsafeRawPointer, norm: Float,
        links: UnsafeBufferPointer<UInt32>, origin: CacheOrigin, epoch: UInt32 = 0
    ) {
        guard capacity > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        ensureIndexCapacity(Int(node))
        let block = currentIndex
        let index = Int(node)
        guard index < NodeIndex.capacity(block) else { return }
        // the node changed after this snapshot: its entry would never be used
        let changedAt = fm_load_u64_acquire(NodeIndex.modified(block) + index)
        guard changedAt <= snapshot, fm_load_u64_relaxed(shared + Shared.floor.rawValue) <= snapshot else { return }
        let slots = NodeIndex.slots(block)
        let existing = fm_load_u32_relaxed(slots + index)
        let slot: Int
        if existing != 0 {
            slot = Int(existing - 1)
        } else if used < sizing.target {
            slot = used
            used += 1
            eviction.admit(slot, node: node)
            if !populateRequested, mapping != nil, used * stride + Self.populateLowWater > populated, used < sizing.target {
                populateRequested = true
                onLowWater?()
            }
        } else if sizing.target > 0 {
            slot = evict(block)
            eviction.admit(slot, node: node)
            fm_store_u64_relaxed(shared + Shared.full.rawValue, 1)
        } else {
            return
        }
        let entry = self.slot(slot)
        rewrite(entry) {
            entry.node = node
            entry.loadedAt = snapshot
            entry.changedAt.pointee = changedAt
            entry.externalID = id ?? NodeSlot.unknownID
            entry.norm = norm
            let count = min(links.count, maximumLinks)
            entry.linkCount = count
            entry.clearUse(origin: origin)
            if count > 0, let first = links.baseAddress { entry.links.copyMemory(from: first, byteCount: 4 * count) }
            let (low, scale) = format.encode(vector, into: entry.base + vectorOffset, dimension: dimension)
            entry.low = low
            entry.scale = scale
            entry.epoch.pointee = epoch
        }
        fm_store_u32_relaxed(slots + index, UInt32(slot + 1))
        _ = fm_add_u64(shared + (origin == .demand ? Shared.fills.rawValue : Shared.prefetchedGraph.rawValue + Int(origin.rawValue) - 1), 1)
    }

    /// Slot `index` of the arena.
    @inline(__always)
    func slot(_ index: Int) -> NodeSlot { NodeSlot(arena + index * stride) }

    /// Rewrites `slot` under the sequence protocol: odd while `body` writes, so lock-free readers
    /// of the old contents discard what they read; even again after.
    func rewrite(_ slot: NodeSlot, _ body: () -> Void) {
        let sequence = slot.sequence
        let next = fm_load_u32_relaxed(sequence) | 1
        fm_store_u32_relaxed(sequence, next)
        fm_fence_release()
        body()
        fm_store_u32_release(sequence, next &+ 1)
    }

    /// Frees a slot chosen by the eviction policy and returns it.
    private func evict(_ block: UnsafeMutableRawPointer) -> Int {
        let slot = eviction.victim(limit: sizing.target) { slot, decrement in
            let frequency = self.slot(slot).frequency
            let count = fm_load_u8_relaxed(frequency)
            if decrement && count > 0 { fm_store_u8_relaxed(frequency, count - 1) }
            return count
        }
        let node = self.slot(slot).node
        release(slot, block)
        eviction.evicted(slot, node: node)
        _ = fm_add_u64(shared + Shared.evictions.rawValue, 1)
        _ = fm_add_u64(shared + Shared.windowEvictions.rawValue, 1)
        return slot
    }

    /// Unmaps `slot` from its node and marks it empty, so concurrent readers of it miss.
    func release(_ slot: Int, _ block: UnsafeMutableRawPointer) {
        let entry = self.slot(slot)
        let old = entry.node
        let slots = NodeIndex.slots(block)
        if Int(old) < NodeIndex.capacity(block), fm_load_u32_relaxed(slots + Int(old)) == UInt32(slot + 1) {
            fm_store_u32_relaxed(slots + Int(old), 0)
        }
        rewrite(entry) {
            entry.node = NodeSlot.emptyNode
            entry.clearUse()
        }
    }

    /// Grows the node index to hold `node`; the old block stays allocated, since lock-free
    /// readers may still be reading it, until the cache goes.
    func ensureIndexCapacity(_ node: Int) {
        let block = currentIndex
        let capacity = NodeIndex.capacity(block)
        guard node >= capacity else { return }
        let grownBlock = NodeIndex.allocate(capacity: max(node + 1, capacity * 2)), grown = grownBlock.base
        NodeIndex.slots(grown).update(from: NodeIndex.slots(block), count: capacity)
        NodeIndex.modified(grown).update(from: NodeIndex.modified(block), count: capacity)
        fm_fence_release()
        fm_store_pointer(UnsafeMutablePointer(OpaquePointer(indexSlot)), UnsafeRawPointer(grown))
        indexBlocks.append(grownBlock)
    }

    /// The nodes the cache holds now, in slot order (the hot set a warm start reloads).
    func cachedNodes(limit: Int) -> [UInt32] {
        lock.lock()
        defer { lock.unlock() }
        var nodes: [UInt32] = []
        for slot in 0..<min(used, limit) {
            let node = self.slot(slot).node
            if node != NodeSlot.emptyNode { nodes.append(node) }
        }
        return nodes
    }
}


extension NodeCache: GraphChangeObserver {
    func nodeChanged(_ node: UInt32, by transaction: UInt64) { invalidate(node, by: transaction) }
}
