import Foundation
internal import CFeatureMemoryShims

/// Where an entry of the node cache came from. A prefetched entry counts toward its prefetcher's
/// accuracy the first time a search uses it.
enum CacheOrigin: UInt8, CaseIterable, Sendable {
    case demand = 0, graph = 1, warmStart = 2, predictive = 3

    /// The prefetchers, in the order of their counters.
    static let prefetchers: [CacheOrigin] = [.graph, .warmStart, .predictive]

    /// The name statistics and metrics use.
    var name: String {
        switch self {
        case .demand: "demand"
        case .graph: "graph"
        case .warmStart: "warm_start"
        case .predictive: "predictive"
        }
    }
}

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

    private let arena: UnsafeMutableRawPointer
    /// The anonymous mapping the arena lies in (nil when it came from the heap).
    private let mapping: (start: UnsafeMutableRawPointer, length: Int)?
    /// The current node index block (see `NodeIndex`), published with an atomic pointer store.
    private let indexSlot: UnsafeMutablePointer<UnsafeRawPointer?>
    private var retiredIndexes: [UnsafeMutableRawPointer] = []
    private let shared: UnsafeMutablePointer<UInt64>
    private let lock = NSLock()
    private var used = 0
    private var eviction: EvictionQueues
    /// Called after each sizing window (the store reports its metrics); set once, before use.
    var onWindow: (@Sendable () -> Void)?
    /// Called, under the cache's lock, when fills near the end of the memory populated ahead (the
    /// store asks its prefetch thread to populate more); set once, before use.
    var onLowWater: (@Sendable () -> Void)?
    /// Bytes of the arena from its start backed with pages ahead of use (see `populateAhead`).
    private var populated = 0
    /// Raised by each shrink, so a populate that raced one does not count pages it gave back.
    private var shrinks = 0
    private var populateRequested = false
    /// The arena's length in bytes.
    private let arenaBytes: Int
    private var sizing: AdaptiveSizing

    /// The word of `shared` where the per-prefetcher use counters start.
    static var usedCounterBase: Int { Shared.usedGraph.rawValue }

    /// Words of `shared`: the snapshot bookkeeping, read by every lookup, sits a cache line apart
    /// from the counters that searches add to.
    private enum Shared: Int, CaseIterable {
        case floor = 0, explained, pending
        case lookups = 8, hits, fills, evictions, windowLookups, windowHits, windowEvictions
        case prefetchedGraph, prefetchedWarm, prefetchedPredictive, usedGraph, usedWarm, usedPredictive, epoch, full, loadingWhole
        static var wordCount: Int { loadingWhole.rawValue + 1 }
    }

    /// A cache for vectors of `dimension` floats and `maximumLinks` layer-0 links, within
    /// `budgetBytes`, for a store whose newest snapshot is `snapshot` and whose node ids are below
    /// `nodeBound`.
    init(dimension: Int, maximumLinks: Int, budgetBytes: Int, snapshot: UInt64, nodeBound: Int, policy: CachePolicy = .clock,
         format: CacheFormat = .bytes) {
        self.dimension = dimension
        self.maximumLinks = maximumLinks
        vectorOffset = (NodeCache.headerSize + 4 * maximumLinks + 63) & ~63
        self.format = format
        stride = (vectorOffset + format.bytesPerValue * dimension + 63) & ~63
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
        indexSlot = .allocate(capacity: 1)
        indexSlot.initialize(to: UnsafeRawPointer(NodeIndex.allocate(capacity: max(nodeBound + nodeBound / 4, 1024))))
        shared = .allocate(capacity: Shared.wordCount)
        shared.initialize(repeating: 0, count: Shared.wordCount)
        shared[Shared.floor.rawValue] = snapshot
        shared[Shared.explained.rawValue] = snapshot
        sizing = AdaptiveSizing(capacity: capacity)
        eviction = EvictionQueues(policy: policy)
    }

    deinit {
        if let mapping { munmap(mapping.start, mapping.length) } else { arena.deallocate() }
        if let current = indexSlot.pointee { UnsafeMutableRawPointer(mutating: current).deallocate() }
        for retired in retiredIndexes { retired.deallocate() }
        indexSlot.deallocate()
        shared.deallocate()
    }

    /// Bytes of a slot before its links: sequence u32 @0, node u32 @4, loadedAt u64 @8 (the snapshot
    /// it was read from), changedAt u64 @16 (the node's last change by this process's writer),
    /// external id u64 @24 (UInt64.max when unknown), norm f32 @32 (of the exact vector), link
    /// count u16 @36, use frequency u8 @38 (0…3), origin u8 @39, float16 scale f32 @40, epoch of
    /// the last search that used it u32 @44, 8-bit low f32 @48 (the 8-bit step is @40).
    static let headerSize = 56

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
            let base = arena + Int(slotPlusOne - 1) * stride
            if base.load(fromByteOffset: 4, as: UInt32.self) == node {
                fm_store_u64_release((base + 16).assumingMemoryBound(to: UInt64.self), transaction)
            }
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

    private var currentIndex: UnsafeMutableRawPointer {
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
    func withEntry<R>(_ node: UInt32, snapshot: UInt64, epoch: UInt32 = 0, _ body: (UnsafeRawPointer) -> R) -> R? {
        view.withEntry(node, snapshot: snapshot, epoch: epoch, body)
    }

    /// The external id stored with `node`'s entry, when it has one usable at `snapshot`.
    @inline(__always)
    func externalID(_ node: UInt32, snapshot: UInt64) -> UInt64? {
        guard let id = withEntry(node, snapshot: snapshot, { $0.load(fromByteOffset: 24, as: UInt64.self) }),
              id != UInt64.max else { return nil }
        return id
    }

    /// Whether `node` has an entry usable at `snapshot`. With `countingUse` false (prefetchers
    /// checking what to skip), the entry's use count and its prefetcher's credit are left alone.
    func contains(_ node: UInt32, snapshot: UInt64, countingUse: Bool = true) -> Bool {
        countingUse ? withEntry(node, snapshot: snapshot) { _ in true } ?? false : view.holds(node, at: snapshot)
    }

    // MARK: populating ahead

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

    /// Raises the size target to hold `nodes` entries when the budget allows; false when it does not.
    func reserve(nodes: Int) -> Bool {
        guard nodes <= capacity else { return false }
        lock.lock()
        defer { lock.unlock() }
        sizing.reserve(nodes)
        return true
    }

    /// Starts loading `node`'s slot into the processor cache, when it has one.
    @inline(__always)
    func prefetch(_ node: UInt32) { view.prefetch(node) }

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
        let base = arena + slot * stride
        rewrite(base) {
            base.storeBytes(of: node, toByteOffset: 4, as: UInt32.self)
            base.storeBytes(of: snapshot, toByteOffset: 8, as: UInt64.self)
            base.storeBytes(of: changedAt, toByteOffset: 16, as: UInt64.self)
            base.storeBytes(of: id ?? UInt64.max, toByteOffset: 24, as: UInt64.self)
            base.storeBytes(of: norm, toByteOffset: 32, as: Float.self)
            let count = min(links.count, maximumLinks)
            base.storeBytes(of: UInt16(count), toByteOffset: 36, as: UInt16.self)
            base.storeBytes(of: 0, toByteOffset: 38, as: UInt8.self)
            base.storeBytes(of: origin.rawValue, toByteOffset: 39, as: UInt8.self)
            if count > 0 { (base + NodeCache.headerSize).copyMemory(from: links.baseAddress!, byteCount: 4 * count) }
            switch format {
            case .half:
                let scale = fm_half_encode(vector, (base + vectorOffset).assumingMemoryBound(to: UInt16.self), dimension)
                base.storeBytes(of: scale, toByteOffset: 40, as: Float.self)
            case .bytes:
                var step: Float = 0
                let low = fm_byte_encode(vector, (base + vectorOffset).assumingMemoryBound(to: UInt8.self), dimension, &step)
                base.storeBytes(of: step, toByteOffset: 40, as: Float.self)
                base.storeBytes(of: low, toByteOffset: 48, as: Float.self)
            }
            base.storeBytes(of: epoch, toByteOffset: 44, as: UInt32.self)
        }
        fm_store_u32_relaxed(slots + index, UInt32(slot + 1))
        _ = fm_add_u64(shared + (origin == .demand ? Shared.fills.rawValue : Shared.prefetchedGraph.rawValue + Int(origin.rawValue) - 1), 1)
    }

    /// Rewrites the slot at `base` under the sequence protocol: odd while `body` writes, so lock-free
    /// readers of the old contents discard what they read; even again after.
    private func rewrite(_ base: UnsafeMutableRawPointer, _ body: () -> Void) {
        let sequence = base.assumingMemoryBound(to: UInt32.self)
        let next = fm_load_u32_relaxed(sequence) | 1
        fm_store_u32_relaxed(sequence, next)
        fm_fence_release()
        body()
        fm_store_u32_release(sequence, next &+ 1)
    }

    /// Frees a slot chosen by the eviction policy and returns it.
    private func evict(_ block: UnsafeMutableRawPointer) -> Int {
        let arena = self.arena, stride = self.stride
        let slot = eviction.victim(limit: sizing.target) { slot, decrement in
            let frequency = (arena + slot * stride + 38).assumingMemoryBound(to: UInt8.self)
            let count = fm_load_u8_relaxed(frequency)
            if decrement && count > 0 { fm_store_u8_relaxed(frequency, count - 1) }
            return count
        }
        let node = (arena + slot * stride).load(fromByteOffset: 4, as: UInt32.self)
        release(slot, block)
        eviction.evicted(slot, node: node)
        _ = fm_add_u64(shared + Shared.evictions.rawValue, 1)
        _ = fm_add_u64(shared + Shared.windowEvictions.rawValue, 1)
        return slot
    }

    /// Unmaps `slot` from its node and marks it empty, so concurrent readers of it miss.
    private func release(_ slot: Int, _ block: UnsafeMutableRawPointer) {
        let base = arena + slot * stride
        let old = base.load(fromByteOffset: 4, as: UInt32.self)
        let slots = NodeIndex.slots(block)
        if Int(old) < NodeIndex.capacity(block), fm_load_u32_relaxed(slots + Int(old)) == UInt32(slot + 1) {
            fm_store_u32_relaxed(slots + Int(old), 0)
        }
        rewrite(base) {
            base.storeBytes(of: UInt32.max, toByteOffset: 4, as: UInt32.self)
            base.storeBytes(of: 0, toByteOffset: 38, as: UInt16.self)
            base.storeBytes(of: 0, toByteOffset: 44, as: UInt32.self)
        }
    }

    /// Grows the node index to hold `node`; the old block stays allocated, since lock-free
    /// readers may still be reading it, until the cache goes.
    private func ensureIndexCapacity(_ node: Int) {
        let block = currentIndex
        let capacity = NodeIndex.capacity(block)
        guard node >= capacity else { return }
        let grown = NodeIndex.allocate(capacity: max(node + 1, capacity * 2))
        NodeIndex.slots(grown).update(from: NodeIndex.slots(block), count: capacity)
        NodeIndex.modified(grown).update(from: NodeIndex.modified(block), count: capacity)
        fm_fence_release()
        fm_store_pointer(UnsafeMutablePointer(OpaquePointer(indexSlot)), UnsafeRawPointer(grown))
        retiredIndexes.append(block)
    }

    // MARK: statistics and sizing

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

    // MARK: images

    /// Bytes before the entries of an image: magic u32, version u32, dimension u32, links u32,
    /// stride u32, format u32, entry count u32, pad u32, snapshot u64.
    static let imageHeaderSize = 40
    static let imageMagic: UInt32 = 0x464D_4E43  // "FMNC"

    /// The entries that hold exactly what snapshot `snapshot` holds, slot bytes as they are, for
    /// a later opening of the same snapshot to load in one read.
    func image(validAt snapshot: UInt64) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        var bytes = [UInt8](repeating: 0, count: Self.imageHeaderSize)
        var count: UInt32 = 0
        bytes.reserveCapacity(Self.imageHeaderSize + used * stride)
        let floor = fm_load_u64_relaxed(shared + Shared.floor.rawValue)
        for slot in 0..<used {
            let base = arena + slot * stride
            let loadedAt = base.load(fromByteOffset: 8, as: UInt64.self)
            guard base.load(fromByteOffset: 4, as: UInt32.self) != UInt32.max,
                  base.load(fromByteOffset: 16, as: UInt64.self) <= loadedAt, floor <= loadedAt, loadedAt <= snapshot
            else { continue }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: base, count: stride))
            count += 1
        }
        bytes.withUnsafeMutableBytes { header in
            let fields: [UInt32] = [Self.imageMagic, 1, UInt32(dimension), UInt32(maximumLinks), UInt32(stride), format == .bytes ? 1 : 0, count, 0]
            for (index, field) in fields.enumerated() { header.storeBytes(of: field.littleEndian, toByteOffset: 4 * index, as: UInt32.self) }
            header.storeBytes(of: snapshot.littleEndian, toByteOffset: 32, as: UInt64.self)
        }
        return bytes
    }

    /// Loads an image saved at `snapshot` (the snapshot this store opened at): every entry is
    /// copied into a slot as it is. Returns the entries loaded; 0 when the image does not fit
    /// this cache or belongs to another snapshot.
    func load(image: UnsafeRawBufferPointer, snapshot: UInt64) -> Int {
        guard image.count >= Self.imageHeaderSize else { return 0 }
        func field(_ index: Int) -> UInt32 { UInt32(littleEndian: image.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)) }
        let saved = UInt64(littleEndian: image.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        guard field(0) == Self.imageMagic, field(1) == 1, field(2) == UInt32(dimension), field(3) == UInt32(maximumLinks),
              field(4) == UInt32(stride), field(5) == (format == .bytes ? 1 : 0), saved == snapshot,
              image.count >= Self.imageHeaderSize + Int(field(6)) * stride
        else { return 0 }
        lock.lock()
        defer { lock.unlock() }
        guard fm_load_u64_relaxed(shared + Shared.floor.rawValue) <= snapshot else { return 0 }
        sizing.reserve(min(capacity, Int(field(6))))
        var loaded = 0
        for entry in 0..<Int(field(6)) {
            let source = image.baseAddress! + Self.imageHeaderSize + entry * stride
            let node = source.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            ensureIndexCapacity(Int(node))
            let block = currentIndex
            let slots = NodeIndex.slots(block)
            guard Int(node) < NodeIndex.capacity(block), fm_load_u32_relaxed(slots + Int(node)) == 0,
                  fm_load_u64_acquire(NodeIndex.modified(block) + Int(node)) <= snapshot, used < sizing.target
            else { continue }
            let slot = used
            used += 1
            eviction.admit(slot, node: node)
            let base = arena + slot * stride
            rewrite(base) {
                (base + 4).copyMemory(from: source + 4, byteCount: stride - 4)
                base.storeBytes(of: snapshot, toByteOffset: 8, as: UInt64.self)
                base.storeBytes(of: fm_load_u64_relaxed(NodeIndex.modified(block) + Int(node)), toByteOffset: 16, as: UInt64.self)
                base.storeBytes(of: 0, toByteOffset: 38, as: UInt8.self)
                base.storeBytes(of: CacheOrigin.warmStart.rawValue, toByteOffset: 39, as: UInt8.self)
                base.storeBytes(of: 0, toByteOffset: 44, as: UInt32.self)
            }
            fm_store_u32_relaxed(slots + Int(node), UInt32(slot + 1))
            loaded += 1
        }
        _ = fm_add_u64(shared + Shared.prefetchedWarm.rawValue, UInt64(loaded))
        return loaded
    }

    /// The nodes the cache holds now, in slot order (the hot set a warm start reloads).
    func cachedNodes(limit: Int) -> [UInt32] {
        lock.lock()
        defer { lock.unlock() }
        var nodes: [UInt32] = []
        for slot in 0..<min(used, limit) {
            let node = (arena + slot * stride).load(fromByteOffset: 4, as: UInt32.self)
            if node != UInt32.max { nodes.append(node) }
        }
        return nodes
    }
}

/// How the node cache keeps vectors: float16 (half the bytes of float32) or 8-bit codes (a
/// quarter), both ranking candidates only; results are re-ranked by the stored vectors.
public enum CacheFormat: String, Sendable, CaseIterable, Codable {
    /// float16 values: half the bytes of float32.
    case half
    /// 8-bit codes: a quarter of the bytes of float32 (the default).
    case bytes

    var bytesPerValue: Int { self == .half ? 2 : 1 }
}

/// Raw counters behind `CacheStatistics`.
struct NodeCacheStatistics {
    var budgetBytes, targetBytes, bytesInUse, entries, lookups, hits, fills, evictions: Int
    /// Entries filled by each prefetcher (graph, warm start, predictive).
    var prefetched: [Int]
    /// Of those, entries a search used afterwards.
    var prefetchUsed: [Int]
}

/// The node index: for every node id, the slot holding it (+1; 0 for none) and the id of the
/// last write transaction that changed it. Laid out as capacity u64 | slots u32… | stamps u64….
enum NodeIndex {
    static func allocate(capacity: Int) -> UnsafeMutableRawPointer {
        let stampsOffset = (8 + 4 * capacity + 7) & ~7
        let block = UnsafeMutableRawPointer.allocate(byteCount: stampsOffset + 8 * capacity, alignment: 64)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: stampsOffset + 8 * capacity)
        block.storeBytes(of: UInt64(capacity), as: UInt64.self)
        return block
    }

    @inline(__always)
    static func capacity(_ block: UnsafeMutableRawPointer) -> Int { Int(block.load(as: UInt64.self)) }

    @inline(__always)
    static func slots(_ block: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt32> {
        (block + 8).assumingMemoryBound(to: UInt32.self)
    }

    @inline(__always)
    static func modified(_ block: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt64> {
        (block + ((8 + 4 * capacity(block) + 7) & ~7)).assumingMemoryBound(to: UInt64.self)
    }
}

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
    func withEntry<R>(_ node: UInt32, snapshot: UInt64, epoch: UInt32 = 0, _ body: (UnsafeRawPointer) -> R) -> R? {
        guard let base = slot(of: node), let before = sequence(of: base, holding: node, at: snapshot) else { return nil }
        let result = body(base)
        guard unchanged(base, since: before) else { return nil }
        if base.load(fromByteOffset: 44, as: UInt32.self) != epoch || base.load(fromByteOffset: 39, as: UInt8.self) != 0 {
            noteUse(base, epoch: epoch)
        }
        return result
    }

    /// Whether `node` has an entry usable at `snapshot`, leaving its use count and its prefetcher's
    /// credit alone (for prefetchers deciding what to skip).
    func holds(_ node: UInt32, at snapshot: UInt64) -> Bool {
        guard let base = slot(of: node), let before = sequence(of: base, holding: node, at: snapshot) else { return false }
        return unchanged(base, since: before)
    }

    /// The slot the node index assigns `node`, if any; its contents are still to be checked.
    @inline(__always)
    func slot(of node: UInt32) -> UnsafeMutableRawPointer? {
        let block = UnsafeMutableRawPointer(mutating: fm_load_pointer(UnsafePointer(OpaquePointer(indexSlot)))!)
        let index = Int(node)
        guard index < NodeIndex.capacity(block) else { return nil }
        let slotPlusOne = fm_load_u32_relaxed(NodeIndex.slots(block) + index)
        guard slotPlusOne != 0 else { return nil }
        return arena + Int(slotPlusOne &- 1) * stride
    }

    /// The slot's sequence number, read before use, when the slot holds `node` exactly as snapshot
    /// `snapshot` holds it (see `NodeCache` for the rule); nil otherwise.
    @inline(__always)
    func sequence(of base: UnsafeMutableRawPointer, holding node: UInt32, at snapshot: UInt64) -> UInt32? {
        let before = fm_load_u32_acquire(base.assumingMemoryBound(to: UInt32.self))
        guard before & 1 == 0, base.load(fromByteOffset: 4, as: UInt32.self) == node else { return nil }
        let bound = min(base.load(fromByteOffset: 8, as: UInt64.self), snapshot)
        guard fm_load_u64_acquire((base + 16).assumingMemoryBound(to: UInt64.self)) <= bound,
              fm_load_u64_relaxed(shared) <= bound else { return nil }
        return before
    }

    /// Whether no filler rewrote the slot since its sequence number read `before`.
    @inline(__always)
    func unchanged(_ base: UnsafeMutableRawPointer, since before: UInt32) -> Bool {
        fm_fence_acquire()
        return fm_load_u32_relaxed(base.assumingMemoryBound(to: UInt32.self)) == before
    }

    /// Counts a use by a search (once per search, so the nodes one search touches twice do not
    /// look popular) and credits the entry's prefetcher on its first use. Racing readers may lose
    /// an increment; the count only steers eviction.
    func noteUse(_ base: UnsafeRawPointer, epoch: UInt32) {
        let mutableBase = UnsafeMutableRawPointer(mutating: base)
        let touch = (mutableBase + 44).assumingMemoryBound(to: UInt32.self)
        if epoch != 0 && fm_load_u32_relaxed(touch) != epoch {
            fm_store_u32_relaxed(touch, epoch)
            let frequency = (mutableBase + 38).assumingMemoryBound(to: UInt8.self)
            let count = fm_load_u8_relaxed(frequency)
            if count < 3 { fm_store_u8_relaxed(frequency, count + 1) }
        }
        if base.load(fromByteOffset: 39, as: UInt8.self) != 0 {
            let origin = fm_exchange_u8((mutableBase + 39).assumingMemoryBound(to: UInt8.self), 0)
            if origin != 0 { _ = fm_add_u64(shared + NodeCache.usedCounterBase + Int(origin) - 1, 1) }
        }
    }

    /// Starts loading `node`'s slot into the processor cache, when it has one.
    @inline(__always)
    func prefetch(_ node: UInt32) {
        guard let base = slot(of: node) else { return }
        fm_prefetch_line(base)
        fm_prefetch_range(base + vectorOffset, stride - vectorOffset)
    }
}
