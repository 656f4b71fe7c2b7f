/// Which nodes a search has seen, as an array of epoch stamps indexed by node id: starting a new
/// search is one increment, not a clear, and a lookup is one load.
struct VisitedSet {
    private var stamps: ContiguousArray<UInt32> = []
    private var epoch: UInt32 = 0

    /// Starts a new search over node ids below `capacity`.
    mutating func reset(capacity: Int) {
        if stamps.count < capacity {
            stamps = ContiguousArray(repeating: 0, count: max(capacity, stamps.count * 2))
            epoch = 0
        }
        epoch &+= 1
        if epoch == 0 {
            // wrapped around: stale stamps could match again
            for i in stamps.indices { stamps[i] = 0 }
            epoch = 1
        }
    }

    /// Marks `node` visited; returns false when it already was, or when it is out of range
    /// (a damaged link), so the caller skips it either way.
    @inline(__always)
    mutating func insert(_ node: UInt32) -> Bool {
        let index = Int(node)
        guard index < stamps.count, stamps[index] != epoch else { return false }
        stamps[index] = epoch
        return true
    }

    /// Whether `node` was visited in this search.
    @inline(__always)
    func contains(_ node: UInt32) -> Bool {
        let index = Int(node)
        return index < stamps.count && stamps[index] == epoch
    }
}
