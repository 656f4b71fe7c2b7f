internal import CFeatureMemoryShims

/// Which misses a full cache takes in. A search that misses a node reads it from the map either
/// way; copying it into a full cache costs a second read of its links and id, an encoding, the
/// lock and an eviction, and pays off only if the node is looked up again before it is evicted.
/// When the working set is larger than the cache, most nodes are not: every miss evicted an entry
/// about to be used, and a cache of 8 MiB under MiniLM's 18 MiB working set searched 3.1–3.7×
/// slower than no cache at all. So a full cache admits a node on its second miss within a window
/// (a doorkeeper, as in TinyLFU): the first one only sets its bucket's byte.
extension NodeCache {
    /// Whether a search that missed `node` should copy it into the cache: always while the cache
    /// has free slots; once full, only a node missed before within the current window.
    @inline(__always)
    func admits(_ node: UInt32) -> Bool {
        guard isFull else { return true }
        // Fibonacci hashing, the product's top bits: node ids close together (a batch inserted
        // together) spread over the buckets, which its middle bits do not
        let hash = UInt64(node) &* 0x9E37_79B9_7F4A_7C15
        let bucket = Int(truncatingIfNeeded: hash >> UInt64(UInt64.bitWidth - doorkeeperMask.nonzeroBitCount))
        if fm_exchange_u8(doorkeeper + bucket, 1) != 0 { return true }
        _ = fm_add_u64(shared + Shared.refused.rawValue, 1)
        let firstMisses = fm_add_u64(shared + Shared.firstMisses.rawValue, 1)
        if firstMisses % UInt64(doorkeeperMask / 2 + 1) == 0 { forgetFirstMisses() }
        return false
    }

    /// Starts a new window: every bucket cleared (a racing miss may see part of it cleared, which
    /// only admits or refuses one node early).
    private func forgetFirstMisses() {
        for bucket in 0...doorkeeperMask { fm_store_u8_relaxed(doorkeeper + bucket, 0) }
    }

    /// Misses a full cache did not take in, since it was made.
    var refusedFills: Int { Int(fm_load_u64_relaxed(shared + Shared.refused.rawValue)) }
}
