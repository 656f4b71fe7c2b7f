/// Which nodes a search has seen, as one bit per node id: 200,000 nodes fit in 25 KB, which
/// stays in the processor's first-level cache, where a stamp array (4 bytes a node) missed it on
/// every check. Starting a new search clears only the words the last one set, unless it set so
/// many that clearing everything is cheaper.
struct VisitedSet {
    private var words: ContiguousArray<UInt64> = []
    /// The words set since the last reset, in the order first set.
    private var touched: ContiguousArray<Int32> = []

    /// Starts a new search over node ids below `capacity`.
    mutating func reset(capacity: Int) {
        let needed = (capacity + 63) >> 6
        if touched.count * 8 < words.count {
            for word in touched { words[Int(word)] = 0 }
        } else {
            for index in words.indices { words[index] = 0 }
        }
        touched.removeAll(keepingCapacity: true)
        if words.count < needed { words.append(contentsOf: repeatElement(0, count: max(needed, words.count * 2) - words.count)) }
    }

    /// Marks `node` visited; returns false when it already was, or when it is out of range
    /// (a damaged link), so the caller skips it either way.
    @inline(__always)
    mutating func insert(_ node: UInt32) -> Bool {
        let word = Int(node >> 6), bit = UInt64(1) << UInt64(node & 63)
        guard word < words.count else { return false }
        let old = words[word]
        guard old & bit == 0 else { return false }
        if old == 0 { touched.append(Int32(word)) }
        words[word] = old | bit
        return true
    }

    /// Whether `node` was visited in this search.
    @inline(__always)
    func contains(_ node: UInt32) -> Bool {
        let word = Int(node >> 6)
        return word < words.count && words[word] & (UInt64(1) << UInt64(node & 63)) != 0
    }
}
