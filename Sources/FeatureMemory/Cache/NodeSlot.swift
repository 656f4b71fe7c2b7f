internal import CFeatureMemoryShims

/// One slot of the node cache's arena: a 56-byte header, the node's layer-0 links, then its
/// vector in the cache's format, as one cache-line-aligned block. Every field is read and written
/// through this type; its offsets are the FM_SLOT_ constants of the C header, which the C searches
/// (CachedBeamSearch.c) read by too.
///
/// Header: sequence u32 @0 (odd while a filler rewrites the slot), node u32 @4, loadedAt u64 @8
/// (the snapshot it was read from), changedAt u64 @16 (the node's last change by this process's
/// writer), external id u64 @24 (UInt64.max when unknown), norm f32 @32 (of the exact vector),
/// link count u16 @36, use frequency u8 @38 (0…3), origin u8 @39, scale f32 @40 (float16 scale,
/// or the 8-bit step), epoch of the last search that used it u32 @44, 8-bit low f32 @48.
struct NodeSlot {
    /// The slot's first byte.
    let base: UnsafeMutableRawPointer

    /// Bytes before the links.
    static let headerSize = Int(FM_SLOT_LINKS)
    /// The node field of a slot no node occupies.
    static let emptyNode = UInt32.max
    /// The external id field of an entry whose id is unknown.
    static let unknownID = UInt64.max

    @inline(__always) init(_ base: UnsafeMutableRawPointer) { self.base = base }
    @inline(__always) init(_ base: UnsafeRawPointer) { self.base = UnsafeMutableRawPointer(mutating: base) }

    /// The sequence number, for the seqlock protocol (see `NodeCache`).
    var sequence: UnsafeMutablePointer<UInt32> { base.assumingMemoryBound(to: UInt32.self) }
    /// The node stored here, or `emptyNode`.
    var node: UInt32 {
        @inline(__always) get { base.load(fromByteOffset: Int(FM_SLOT_NODE), as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: Int(FM_SLOT_NODE), as: UInt32.self) }
    }
    /// The snapshot the entry was read from.
    var loadedAt: UInt64 {
        @inline(__always) get { base.load(fromByteOffset: Int(FM_SLOT_LOADED_AT), as: UInt64.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: Int(FM_SLOT_LOADED_AT), as: UInt64.self) }
    }
    /// The node's last change by this process's writer, stored and read atomically.
    var changedAt: UnsafeMutablePointer<UInt64> { (base + Int(FM_SLOT_CHANGED_AT)).assumingMemoryBound(to: UInt64.self) }
    /// The node's external id, or `unknownID`.
    var externalID: UInt64 {
        @inline(__always) get { base.load(fromByteOffset: Int(FM_SLOT_EXTERNAL_ID), as: UInt64.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: Int(FM_SLOT_EXTERNAL_ID), as: UInt64.self) }
    }
    /// The norm of the exact vector.
    var norm: Float {
        @inline(__always) get { base.load(fromByteOffset: Int(FM_SLOT_NORM), as: Float.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: Int(FM_SLOT_NORM), as: Float.self) }
    }
    /// Layer-0 links stored.
    var linkCount: Int {
        @inline(__always) get { Int(base.load(fromByteOffset: Int(FM_SLOT_LINK_COUNT), as: UInt16.self)) }
        nonmutating set { base.storeBytes(of: UInt16(newValue), toByteOffset: Int(FM_SLOT_LINK_COUNT), as: UInt16.self) }
    }
    /// How often searches used the entry lately (0…3), for eviction.
    var frequency: UnsafeMutablePointer<UInt8> { (base + Int(FM_SLOT_FREQUENCY)).assumingMemoryBound(to: UInt8.self) }
    /// The `CacheOrigin` of a prefetched entry not used yet; 0 (demand) once used.
    var origin: UnsafeMutablePointer<UInt8> { (base + Int(FM_SLOT_ORIGIN)).assumingMemoryBound(to: UInt8.self) }
    /// The float16 scale, or the 8-bit step.
    var scale: Float {
        @inline(__always) get { base.load(fromByteOffset: Int(FM_SLOT_SCALE), as: Float.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: Int(FM_SLOT_SCALE), as: Float.self) }
    }
    /// The epoch of the last search that used the entry.
    var epoch: UnsafeMutablePointer<UInt32> { (base + Int(FM_SLOT_EPOCH)).assumingMemoryBound(to: UInt32.self) }
    /// The value 8-bit code 0 stands for.
    var low: Float {
        @inline(__always) get { base.load(fromByteOffset: Int(FM_SLOT_LOW), as: Float.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: Int(FM_SLOT_LOW), as: Float.self) }
    }

    /// Layer-0 link `index`.
    @inline(__always)
    func link(_ index: Int) -> UInt32 { base.load(fromByteOffset: Self.headerSize + 4 * index, as: UInt32.self) }

    /// Where the links start.
    var links: UnsafeMutableRawPointer { base + Self.headerSize }

    /// Clears the use bookkeeping (frequency, origin, epoch) of a fresh or emptied entry.
    func clearUse(origin: CacheOrigin = .demand) {
        frequency.pointee = 0
        self.origin.pointee = origin.rawValue
        epoch.pointee = 0
    }

    /// The node of a slot's bytes saved in an image (not aligned there).
    static func node(inSaved bytes: UnsafeRawPointer) -> UInt32 { bytes.loadUnaligned(fromByteOffset: Int(FM_SLOT_NODE), as: UInt32.self) }

    /// The offset of the vector in a slot with room for `maximumLinks` links.
    static func vectorOffset(maximumLinks: Int) -> Int { (headerSize + 4 * maximumLinks + 63) & ~63 }
}
