internal import CFeatureMemoryShims

/// Images: the entries of a snapshot saved in the store, for the next opening of that snapshot.
extension NodeCache {
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
            let entry = self.slot(slot)
            let loadedAt = entry.loadedAt
            guard entry.node != NodeSlot.emptyNode, entry.changedAt.pointee <= loadedAt, floor <= loadedAt, loadedAt <= snapshot
            else { continue }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: entry.base, count: stride))
            count += 1
        }
        bytes.withUnsafeMutableBytes { header in
            let fields: [UInt32] = [Self.imageMagic, 1, UInt32(dimension), UInt32(maximumLinks), UInt32(stride), format.imageCode, count, 0]
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
              field(4) == UInt32(stride), field(5) == format.imageCode, saved == snapshot,
              image.count >= Self.imageHeaderSize + Int(field(6)) * stride
        else { return 0 }
        lock.lock()
        defer { lock.unlock() }
        guard fm_load_u64_relaxed(shared + Shared.floor.rawValue) <= snapshot else { return 0 }
        sizing.reserve(min(capacity, Int(field(6))))
        var loaded = 0
        for entry in 0..<Int(field(6)) {
            guard let start = image.baseAddress else { break }
            let source = start + Self.imageHeaderSize + entry * stride
            let node = NodeSlot.node(inSaved: source)
            ensureIndexCapacity(Int(node))
            let block = currentIndex
            let slots = NodeIndex.slots(block)
            guard Int(node) < NodeIndex.capacity(block), fm_load_u32_relaxed(slots + Int(node)) == 0,
                  fm_load_u64_acquire(NodeIndex.modified(block) + Int(node)) <= snapshot, used < sizing.target
            else { continue }
            let slot = used
            used += 1
            eviction.admit(slot, node: node)
            let target = self.slot(slot)
            rewrite(target) {
                // everything after the sequence number, as saved; then this opening's bookkeeping
                (target.base + 4).copyMemory(from: source + 4, byteCount: stride - 4)
                target.loadedAt = snapshot
                target.changedAt.pointee = fm_load_u64_relaxed(NodeIndex.modified(block) + Int(node))
                target.clearUse(origin: .warmStart)
            }
            fm_store_u32_relaxed(slots + Int(node), UInt32(slot + 1))
            loaded += 1
        }
        _ = fm_add_u64(shared + Shared.prefetchedWarm.rawValue, UInt64(loaded))
        return loaded
    }
}
