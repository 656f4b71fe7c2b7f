import Foundation
internal import CFeatureMemoryShims

/// Decoded vectors and graph links that the writer keeps between its transactions, so inserting a
/// node (hundreds of distance computations and dozens of link-list edits) reads memory instead of
/// B-trees.
///
/// Only write transactions use it, and they are serialized, so it needs no lock of its own. Every
/// change the writer makes goes through it (write-through). It is emptied when a transaction is
/// rolled back, and when a write transaction finds that someone else (another process, or another
/// store object on the same directory) committed since this writer's last commit: then nothing in
/// it can be trusted.
final class WriterCache: @unchecked Sendable {
    // @unchecked: changed only inside write transactions, which the environment serializes; a
    // batch put's parallel searches read it (never change it) from many threads, holding the
    // writer lock so that no transaction changes it meanwhile.

    /// Floats per vector.
    let dimension: Int
    /// The most bytes the cache may hold; past it, new entries are not kept.
    let byteBudget: Int

    // raw buffers rather than arrays: no uniqueness or exclusivity checks in the insert loop
    private var vectors: UnsafeMutableRawPointer { vectorMemory.base }
    /// 8-bit copies of the vectors (`fm_byte_encode`), which the searches of inserts rank by:
    /// a quarter of the bytes and integer arithmetic per distance
    private var codes: UnsafeMutablePointer<UInt8> { codeMemory.base.assumingMemoryBound(to: UInt8.self) }
    /// Per vector, the value code 0 stands for and the step between codes.
    private var codeRanges: UnsafeMutablePointer<SIMD2<Float>>
    private var norms: UnsafeMutablePointer<Float>
    private var hasVector: UnsafeMutablePointer<Bool>
    private var nodes: UnsafeMutablePointer<GraphRecord.Node?>
    /// Each node's layer-0 out-links in place, `flatWidth` slots a node: what searches read most,
    /// without touching the decoded record's arrays, whose reference counts the parallel searches
    /// of a batch put contended for (a tenth of an import's time in atomic increments).
    private var flatLinks: UnsafeMutablePointer<UInt32> { linkMemory.base.assumingMemoryBound(to: UInt32.self) }
    /// Per node, how many of its `flatLinks` slots hold links, or `notFlat` when its record is not
    /// cached or its list is longer than `flatWidth` (then it is read from the record).
    private var flatCounts: UnsafeMutablePointer<UInt16>
    /// The memory behind `vectors`, `codes` and `flatLinks` (huge pages once they are large).
    private var vectorMemory = HugePageMemory(bytes: 64)
    private var codeMemory = HugePageMemory(bytes: 64)
    private var linkMemory = HugePageMemory(bytes: 64)
    /// Layer-0 links a node's flat slots hold.
    let flatWidth: Int
    private static let notFlat = UInt16(FM_WRITER_NO_LINKS)
    private(set) var capacity = 0
    private var nodeBytes = 0
    private var lastCommitID = -1
    private var inTransaction = false
    /// Whether the writer's changes wait in `pending` (`deferChanges`).
    private(set) var isDeferring = false
    private var pending = PendingChanges()
    /// The threads planning a batch from the cache while its write transaction runs: the slots
    /// change only after they are done.
    let planners = DispatchGroup()

    /// A cache for vectors of `dimension` within `byteBudget`, its flat link slots sized for
    /// `flatWidth` layer-0 links a node (the store's maximum).
    init(dimension: Int, byteBudget: Int, flatWidth: Int = 32) {
        self.dimension = dimension
        self.byteBudget = byteBudget
        self.flatWidth = min(max(flatWidth, 1), Int(Self.notFlat) - 1)
        flatCounts = .allocate(capacity: 1)
        codeMemory.base.bindMemory(to: UInt8.self, capacity: 64)
        linkMemory.base.bindMemory(to: UInt32.self, capacity: 16)
        codeRanges = .allocate(capacity: 1)
        norms = .allocate(capacity: 1)
        hasVector = .allocate(capacity: 1)
        nodes = .allocate(capacity: 1)
    }

    deinit {
        vectorMemory.release()
        codeMemory.release()
        codeRanges.deallocate()
        norms.deallocate()
        hasVector.deallocate()
        nodes.deinitialize(count: capacity)
        nodes.deallocate()
        linkMemory.release()
        flatCounts.deallocate()
    }

    /// Bytes held now.
    var bytesInUse: Int { capacity * Self.bytesPerNode(dimension: dimension, flatWidth: flatWidth) + nodeBytes }

    /// Bytes each node's slots take, whether filled or not.
    static func bytesPerNode(dimension: Int, flatWidth: Int = 32) -> Int {
        dimension * 5 + 13 + MemoryLayout<GraphRecord.Node?>.stride + 4 * flatWidth + 2
    }

    /// Whether the cache holds exactly the committed state `snapshotID` (this writer made that
    /// commit and nothing has changed since), so searches of that snapshot may read it.
    func reflects(snapshotID: Int) -> Bool { !inTransaction && lastCommitID == snapshotID }

    /// Called at the start of each write transaction (and of each retry of one).
    func begin(transactionID: Int) {
        pending = PendingChanges()
        isDeferring = false
        if inTransaction || transactionID - 1 != lastCommitID { removeAll() }
        inTransaction = true
    }

    /// From now until the transaction ends, the writer's changes wait apart (`PendingChanges`),
    /// so that the threads in `planners` may go on reading the slots as their snapshot holds them.
    func deferChanges() { isDeferring = true }

    /// Called after a commit succeeded.
    func committed(transactionID: Int) {
        endDeferral()
        lastCommitID = transactionID
        inTransaction = false
    }

    /// Called when a write transaction was rolled back or its commit failed.
    func rolledBack() {
        pending = PendingChanges()
        isDeferring = false
        removeAll()
        inTransaction = false
        lastCommitID = -1
    }

    /// Moves the deferred changes into the slots, once the planners are done, and makes the
    /// writer's changes go there directly again.
    func endDeferral() {
        guard isDeferring else { return }
        planners.wait()
        isDeferring = false
        let changes = pending
        pending = PendingChanges()
        for (node, record) in changes.nodes { setNode(node, record) }
        for (node, vector) in changes.vectors {
            if let vector { setVector(node, vector.values, norm: vector.norm) } else { removeVector(node) }
        }
    }

    // MARK: vectors

    /// The cached vector of `node` and its norm; with `pending`, as the writer changed it.
    @inline(__always)
    func vector(_ node: UInt32, pending seesPending: Bool = false) -> (UnsafeRawPointer, Float)? {
        if seesPending && isDeferring, let change = pending.vectors[node] {
            return change.map { (UnsafeRawPointer($0.values), $0.norm) }
        }
        let index = Int(node)
        guard index < capacity, hasVector[index] else { return nil }
        return (UnsafeRawPointer(vectors + index * dimension * 4), norms[index])
    }

    /// The 8-bit copy of `node`'s vector, the value code 0 stands for, the step between codes and
    /// the exact vector's norm.
    @inline(__always)
    func codes(_ node: UInt32, pending seesPending: Bool = false) -> (codes: UnsafePointer<UInt8>, low: Float, step: Float, norm: Float)? {
        // a changed vector has no codes yet: its distances are encoded from it as for an uncached one
        if seesPending && isDeferring, pending.vectors[node] != nil { return nil }
        let index = Int(node)
        guard index < capacity, hasVector[index] else { return nil }
        let range = codeRanges[index]
        return (UnsafePointer(codes + index * dimension), range.x, range.y, norms[index])
    }

    /// Starts loading `node`'s 8-bit copy into the processor cache.
    @inline(__always)
    func prefetchCodes(_ node: UInt32) {
        let index = Int(node)
        guard index < capacity else { return }
        fm_prefetch_range(codes + index * dimension, dimension)
    }

    /// Starts loading `node`'s cached vector into the processor cache.
    @inline(__always)
    func prefetchVector(_ node: UInt32) {
        let index = Int(node)
        guard index < capacity else { return }
        fm_prefetch(vectors + index * dimension * 4)
    }

    /// Appends `node`'s cached out-links of `layer` to `links`; false when its links are not cached.
    @inline(__always)
    func appendLinks(of node: UInt32, layer: Int, to links: inout ContiguousArray<UInt32>, pending seesPending: Bool = false) -> Bool {
        if seesPending && isDeferring, let change = pending.nodes[node] {
            guard let record = change else { return false }
            if layer < record.out.count { links.append(contentsOf: record.out[layer]) }
            return true
        }
        let index = Int(node)
        guard index < capacity else { return false }
        if layer == 0, case let count = flatCounts[index], count != Self.notFlat {
            links.append(contentsOf: UnsafeBufferPointer(start: flatLinks + index * flatWidth, count: Int(count)))
            return true
        }
        // a pointer by arithmetic: `&nodes[index]` would be a modifying access, and a batch put's
        // parallel searches call this from many threads at once
        let slot = UnsafePointer(nodes + index)
        guard let layers = slot.pointee?.out.count else { return false }
        if layer < layers { slot.pointee.unsafelyUnwrapped.out[layer].withUnsafeBufferPointer { links.append(contentsOf: $0) } }
        return true
    }

    /// The cache's codes and layer-0 link slots as the C searches read them, with `query`.
    func searchView(query: fm_beam_query) -> fm_writer_view {
        fm_writer_view(
            codes: codes, ranges: UnsafeRawPointer(codeRanges).assumingMemoryBound(to: Float.self), norms: norms,
            has_codes: UnsafeRawPointer(hasVector).assumingMemoryBound(to: UInt8.self), links: flatLinks,
            link_counts: flatCounts, link_width: flatWidth, capacity: capacity, query: query)
    }

    /// Keeps a copy of `node`'s vector.
    func setVector(_ node: UInt32, _ values: UnsafeRawPointer, norm: Float) {
        if isDeferring {
            pending.vectors[node] = PendingChanges.Vector(values, bytes: dimension * 4, norm: norm)
            return
        }
        guard ensureCapacity(Int(node) + 1) else { return }
        let index = Int(node)
        (vectors + index * dimension * 4).copyMemory(from: values, byteCount: dimension * 4)
        var step: Float = 0
        let low = fm_byte_encode(values, codes + index * dimension, dimension, &step)
        codeRanges[index] = SIMD2(low, step)
        norms[index] = norm
        hasVector[index] = true
    }

    /// Forgets `node`'s vector.
    func removeVector(_ node: UInt32) {
        if isDeferring {
            pending.vectors[node] = .some(nil)
            return
        }
        let index = Int(node)
        if index < capacity { hasVector[index] = false }
    }

    // MARK: links

    /// The cached links of `node`; with `pending`, as the writer changed them.
    @inline(__always)
    func node(_ node: UInt32, pending seesPending: Bool = false) -> GraphRecord.Node? {
        if seesPending && isDeferring, let change = pending.nodes[node] { return change }
        let index = Int(node)
        return index < capacity ? nodes[index] : nil
    }

    /// Keeps `record` as `node`'s links (or forgets them with nil).
    func setNode(_ node: UInt32, _ record: GraphRecord.Node?) {
        if isDeferring {
            pending.nodes[node] = .some(record)
            return
        }
        let index = Int(node)
        guard let record else {
            if index < capacity { forgetNode(at: index) }
            return
        }
        guard ensureCapacity(index + 1) else { return }
        forgetNode(at: index)
        let added = Self.estimatedBytes(record)
        guard bytesInUse + added <= byteBudget else { return }
        nodes[index] = record
        nodeBytes += added
        let bottom = record.out[0]
        if bottom.count <= flatWidth {
            bottom.withUnsafeBufferPointer { (flatLinks + index * flatWidth).update(from: $0.baseAddress!, count: $0.count) }
            flatCounts[index] = UInt16(bottom.count)
        } else {
            flatCounts[index] = Self.notFlat
        }
    }

    /// Drops the record and flat links cached at `index` (within capacity), if any.
    private func forgetNode(at index: Int) {
        if let old = nodes[index] { nodeBytes -= Self.estimatedBytes(old) }
        nodes[index] = nil
        flatCounts[index] = Self.notFlat
    }

    private static func estimatedBytes(_ record: GraphRecord.Node) -> Int {
        var links = 0
        for layer in record.out.indices { links += record.out[layer].count + record.in[layer].count }
        return 4 * links + 64 * (record.level + 1) + 64
    }

    /// Forgets every cached vector and record, so the next reads come from the map (a repair
    /// must see what is on disk, not what this process remembers).
    func discardEntries() {
        pending = PendingChanges()
        removeAll()
    }

    // MARK: storage

    private func removeAll() {
        // the planners of a batch may still be reading the slots
        planners.wait()
        for i in 0..<capacity { hasVector[i] = false }
        for i in 0..<capacity { nodes[i] = nil }
        flatCounts.update(repeating: Self.notFlat, count: capacity)
        nodeBytes = 0
    }

    /// Grows the slots to hold `needed` nodes; false when that would pass the budget.
    ///
    /// Growth is geometric up to what the budget affords, and never by less than an eighth: near
    /// the budget it used to grow by the one node needed, copying every slot for each insert
    /// (1,000,000 × 128 stalled past 525,000 vectors, a few hundred MB copied per insert).
    private func ensureCapacity(_ needed: Int) -> Bool {
        guard needed > capacity else { return true }
        let affordable = max(byteBudget - nodeBytes, 0) / Self.bytesPerNode(dimension: dimension, flatWidth: flatWidth)
        let target = min(max(needed, capacity * 2, 1024), affordable)
        guard target >= needed, target - capacity >= max(capacity / 8, 1) else { return false }
        let grown = HugePageMemory(bytes: target * dimension * 4)
        grown.base.copyMemory(from: vectors, byteCount: capacity * dimension * 4)
        vectorMemory.release()
        vectorMemory = grown
        let grownCodes = HugePageMemory(bytes: target * dimension)
        grownCodes.base.copyMemory(from: codes, byteCount: capacity * dimension)
        grownCodes.base.bindMemory(to: UInt8.self, capacity: target * dimension)
        codeMemory.release()
        codeMemory = grownCodes
        let grownRanges = UnsafeMutablePointer<SIMD2<Float>>.allocate(capacity: target)
        grownRanges.initialize(from: codeRanges, count: capacity)
        (grownRanges + capacity).initialize(repeating: .zero, count: target - capacity)
        codeRanges.deallocate()
        codeRanges = grownRanges
        let grownNorms = UnsafeMutablePointer<Float>.allocate(capacity: target)
        grownNorms.initialize(from: norms, count: capacity)
        (grownNorms + capacity).initialize(repeating: 0, count: target - capacity)
        norms.deallocate()
        norms = grownNorms
        let grownFlags = UnsafeMutablePointer<Bool>.allocate(capacity: target)
        grownFlags.initialize(from: hasVector, count: capacity)
        (grownFlags + capacity).initialize(repeating: false, count: target - capacity)
        hasVector.deallocate()
        hasVector = grownFlags
        let grownNodes = UnsafeMutablePointer<GraphRecord.Node?>.allocate(capacity: target)
        grownNodes.moveInitialize(from: nodes, count: capacity)
        (grownNodes + capacity).initialize(repeating: nil, count: target - capacity)
        nodes.deallocate()
        nodes = grownNodes
        let grownLinks = HugePageMemory(bytes: target * flatWidth * 4)
        grownLinks.base.copyMemory(from: flatLinks, byteCount: capacity * flatWidth * 4)
        grownLinks.base.bindMemory(to: UInt32.self, capacity: target * flatWidth)
        linkMemory.release()
        linkMemory = grownLinks
        let grownCounts = UnsafeMutablePointer<UInt16>.allocate(capacity: target)
        grownCounts.initialize(from: flatCounts, count: capacity)
        (grownCounts + capacity).initialize(repeating: Self.notFlat, count: target - capacity)
        flatCounts.deallocate()
        flatCounts = grownCounts
        capacity = target
        return true
    }
}
