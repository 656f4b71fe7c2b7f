/// Which nodes a search has seen, as one bit per node id: 200,000 nodes fit in 25 KB, which
/// stays in the processor's first-level cache, where a stamp array (4 bytes a node) missed it on
/// every check. Starting a new search clears only the words the last one set, unless it set so
/// many that clearing everything is cheaper.
///
/// The bits and the list of words set live in raw memory that an owner object frees: the search
/// loop marks nodes without the uniqueness checks an array makes on every write.
struct VisitedSet {
    /// Frees the memory when the last copy of the set goes.
    private final class Storage {
        let words: UnsafeMutablePointer<UInt64>
        let touched: UnsafeMutablePointer<Int32>

        init(wordCount: Int) {
            words = .allocate(capacity: wordCount)
            words.initialize(repeating: 0, count: wordCount)
            // a word is listed once, when its first bit is set: never more entries than words
            touched = .allocate(capacity: wordCount)
        }

        deinit {
            words.deallocate()
            touched.deallocate()
        }
    }

    private var storage: Storage?
    private var words: UnsafeMutablePointer<UInt64>?
    private var touched: UnsafeMutablePointer<Int32>?
    private var wordCount = 0
    private var touchedCount = 0

    /// Starts a new search over node ids below `capacity`.
    mutating func reset(capacity: Int) {
        let needed = (capacity + 63) >> 6
        if let words, let touched {
            if touchedCount * 8 < wordCount {
                for index in 0..<touchedCount { words[Int(touched[index])] = 0 }
            } else {
                words.update(repeating: 0, count: wordCount)
            }
        }
        touchedCount = 0
        guard wordCount < needed else { return }
        let count = max(needed, wordCount * 2), grown = Storage(wordCount: count)
        storage = grown
        words = grown.words
        touched = grown.touched
        wordCount = count
    }

    /// Marks `node` visited; returns false when it already was, or when it is out of range
    /// (a damaged link), so the caller skips it either way.
    @inline(__always)
    mutating func insert(_ node: UInt32) -> Bool {
        let word = Int(node >> 6), bit = UInt64(1) << UInt64(node & 63)
        guard word < wordCount, let words else { return false }
        let old = words[word]
        guard old & bit == 0 else { return false }
        if old == 0 {
            touched.unsafelyUnwrapped[touchedCount] = Int32(word)
            touchedCount &+= 1
        }
        words[word] = old | bit
        return true
    }

    /// Whether `node` was visited in this search.
    @inline(__always)
    func contains(_ node: UInt32) -> Bool {
        let word = Int(node >> 6)
        guard word < wordCount, let words else { return false }
        return words[word] & (UInt64(1) << UInt64(node & 63)) != 0
    }
}
