internal import CFeatureMemoryShims

/// The node index: for every node id, the slot holding it (+1; 0 for none) and the id of the
/// last write transaction that changed it. Laid out as capacity u64 | slots u32… | stamps u64….
enum NodeIndex {
    /// A zeroed index for nodes 0..<capacity (the caller releases it).
    static func allocate(capacity: Int) -> ZeroedBlock {
        let stampsOffset = (8 + 4 * capacity + 7) & ~7
        let block = ZeroedBlock(bytes: stampsOffset + 8 * capacity)
        block.base.storeBytes(of: UInt64(capacity), as: UInt64.self)
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
