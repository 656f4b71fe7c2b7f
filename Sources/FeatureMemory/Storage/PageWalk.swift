/// A damaged page (or a damaged part of the file) found by walking the B-trees.
public struct PageDamage: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The page number, when one page is to blame.
    public var page: Int?
    /// The table whose tree holds the page, when known (`main` and `free pages` are LMDB's own).
    public var table: String?
    /// What is wrong with it.
    public var reason: String

    /// "page 12 (table vectors): …".
    public var description: String {
        var place = page.map { "page \($0)" } ?? "data.mdb"
        if let table { place += " (table \(table))" }
        return "\(place): \(reason)"
    }
}

/// Walks the B-trees of a `DataFile` from its current meta page, reading every page with
/// `pread` and checking it before anything is taken from it: page number in the header equal
/// to its position, flags a tree page may carry, `lower`/`upper` bounds, node offsets and sizes
/// inside the page, overflow runs inside the file, branch children within the last page, no
/// page reached twice. What LMDB would follow blindly (and fault on) is checked here first.
struct PageWalk {
    /// How much of each tree is read.
    enum Depth {
        /// Every page: branch, leaf, overflow, inline and separate duplicate trees.
        case everyPage
        /// The main tree and the branch pages of every table; leaves and overflow pages are only
        /// checked to lie inside the file (their number), not read.
        case branchPages
    }

    /// A key range of a table that a damaged page covered; nil bounds are open.
    struct DamagedRange {
        var table: String
        var lower: [UInt8]?
        var upper: [UInt8]?
    }

    let file: DataFile
    let depth: Depth
    /// Called with each entry of every intact leaf: table, key, value (a duplicate's value for
    /// each duplicate of a sorted-duplicate table).
    var visit: ((String, [UInt8], [UInt8]) -> Void)?
    private(set) var damages: [PageDamage] = []
    private(set) var damagedRanges: [DamagedRange] = []
    /// Pages the walk reached, by number.
    private(set) var reached: [Bool]
    /// Pages on LMDB's free list (free for reuse), by number; from the free-pages tree.
    private(set) var free: [Bool]
    /// The named tables found in the main tree, with their trees.
    private(set) var tables: [String: LMDBPage.DB] = [:]
    private var tableFlags: [String: UInt16] = [:]
    /// `MDB_INTEGERKEY` and `MDB_INTEGERDUP` in a table's flags.
    static let integerKeys: UInt16 = 0x08
    static let integerDuplicates: UInt16 = 0x20

    init(file: DataFile, depth: Depth) {
        self.file = file
        self.depth = depth
        // sized by the file, not by a meta page that may be damaged; a little past its end,
        // where free pages LMDB never wrote may lie (see `DataFile.checkSize`)
        let pages = min(Int(clamping: file.lastPage) &+ 1, file.size / file.pageSize + 1 + Self.unwrittenTailLimit)
        reached = [Bool](repeating: false, count: max(pages, 2))
        free = reached
    }

    /// The most pages past the file's end the walk accounts for as free (LMDB can leave pages
    /// it allocated and freed in one transaction unwritten at the end of the file).
    static let unwrittenTailLimit = 1 << 16

    /// Walks the free-pages tree only, filling `free`.
    mutating func runFreeList() {
        walkTree(file.meta.freeDB, table: "free pages", order: .integer)
    }

    /// Walks the main tree, every named table and the free-pages tree.
    mutating func run() {
        let meta = file.meta
        walkTree(meta.mainDB, table: "main", order: .bytes)
        // LMDB compares the free list's keys (transaction ids) as integers, whatever its flags say
        walkTree(meta.freeDB, table: "free pages", order: .integer)
    }

    /// How a tree orders its keys: LMDB's `memcmp` order, or native integers (`MDB_INTEGERKEY`,
    /// and `MDB_INTEGERDUP` for a duplicate tree).
    enum KeyOrder {
        case bytes, integer

        /// Whether `a` sorts before `b`; nil when integer keys are not 4 or 8 bytes of one size.
        func precedes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool? {
            switch self {
            case .bytes:
                return a.lexicographicallyPrecedes(b)
            case .integer:
                guard a.count == b.count, a.count == 4 || a.count == 8 else { return nil }
                let x = a.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let y = b.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                return x < y
            }
        }
    }

    private mutating func walkTree(_ db: LMDBPage.DB, table: String, order: KeyOrder) {
        guard db.root != LMDBPage.invalidPage else { return }
        guard db.depth >= 1, db.depth <= LMDBPage.maximumDepth else {
            damage(nil, table, "the tree's depth is \(db.depth)")
            damagedRanges.append(DamagedRange(table: table))
            return
        }
        let counted = entriesCounted, found = damages.count
        walk(db.root, table: table, order: order, level: 1, treeDepth: db.depth, lower: nil, upper: nil)
        // LMDB's own counter, read from the file like ours: mdb_stat hands it to every caller
        // (`count` is the keys table's), so it must be what the tree holds
        let entries = entriesCounted - counted
        if depth == .everyPage && damages.count == found && UInt64(entries) != db.entries {
            damage(db.root, table, "the tree holds \(entries) entries; its record counts \(db.entries)")
        }
    }

    /// Entries met in the leaves so far (duplicates each), to check trees' entry counts.
    private var entriesCounted = 0

    private mutating func damage(_ page: UInt64?, _ table: String, _ reason: String) {
        damages.append(PageDamage(page: page.map { Int(clamping: $0) }, table: table, reason: reason))
    }

    private mutating func walk(_ number: UInt64, table: String, order: KeyOrder, level: Int, treeDepth: Int, lower: [UInt8]?, upper: [UInt8]?) {
        guard number >= 2, number <= file.lastPage, number < UInt64(reached.count) else {
            damage(number, table, "a branch names page \(number), outside pages 2…\(file.lastPage)")
            damagedRanges.append(DamagedRange(table: table, lower: lower, upper: upper))
            return
        }
        guard !reached[Int(number)] else {
            damage(number, table, "the page is reached twice")
            damagedRanges.append(DamagedRange(table: table, lower: lower, upper: upper))
            return
        }
        let isLeafLevel = level == treeDepth
        // leaves are left unread in the cheap walk, but the main tree's leaves name the tables
        if depth == .branchPages && isLeafLevel && table != "main" {
            reached[Int(number)] = true
            return
        }
        reached[Int(number)] = true
        guard let bytes = file.page(number) else {
            damage(number, table, "the page cannot be read")
            damagedRanges.append(DamagedRange(table: table, lower: lower, upper: upper))
            return
        }
        let page = LMDBPage(bytes: bytes)
        if let reason = Self.check(page, number: number, isLeaf: isLeafLevel, file: file) {
            damage(number, table, reason)
            damagedRanges.append(DamagedRange(table: table, lower: lower, upper: upper))
            return
        }
        // keys in order and inside the range the parent gave this page: LMDB finds nothing a
        // misordered key hides, and verify would call such a store clean
        if let reason = Self.checkOrder(page, order: order, isLeaf: isLeafLevel, lower: lower, upper: upper) {
            damage(number, table, reason)
            damagedRanges.append(DamagedRange(table: table, lower: lower, upper: upper))
            return
        }
        let count = page.keyCount
        if !isLeafLevel {
            for index in 0..<count {
                let node = page.node(at: page.nodeOffset(index))
                let childLower = index == 0 ? lower : Array(bytes[node.keyOffset..<node.dataOffset])
                var childUpper = upper
                if index + 1 < count {
                    let next = page.node(at: page.nodeOffset(index + 1))
                    childUpper = Array(bytes[next.keyOffset..<next.dataOffset])
                }
                walk(node.child, table: table, order: order, level: level + 1, treeDepth: treeDepth, lower: childLower, upper: childUpper)
            }
            return
        }
        if page.flags & LMDBPage.leaf2 != 0 {
            // keys only (a duplicate tree of fixed-size values): nothing further to follow
            entriesCounted += count
            return
        }
        // plain entries are copied only for a visitor: a check alone reads the page in place
        let copiesEntries = visit != nil
        for index in 0..<count {
            let node = page.node(at: page.nodeOffset(index))
            let plain = node.flags == 0 && table != "free pages"
            // one entry, unless its duplicates are counted below (a named table's record counts one)
            if node.flags & (LMDBPage.subData | LMDBPage.dupData) == 0 { entriesCounted += 1 }
            if plain && !copiesEntries { continue }
            let key = Array(bytes[node.keyOffset..<node.dataOffset])
            if node.flags & LMDBPage.bigData != 0 {
                let first = page.u64(node.dataOffset)
                guard let value = overflowValue(first, size: node.dataSize, table: table) else {
                    damagedRanges.append(DamagedRange(table: table, lower: key, upper: nextKey(page, after: index) ?? upper))
                    continue
                }
                // a long free-list entry lives on overflow pages too (its bytes are read only for salvage)
                if table == "free pages" && !value.isEmpty { noteFree(value, page: number) }
                if copiesEntries { visitEntry(table, key, value) }
                continue
            }
            let value = Array(bytes[node.dataOffset..<(node.dataOffset + node.dataSize)])
            if node.flags & LMDBPage.subData != 0 {
                let db = LMDBPage(bytes: value).db(at: 0)
                if node.flags & LMDBPage.dupData != 0 {
                    // a tree of this key's duplicates
                    let name = table
                    let before = damagedRanges.count
                    walkTree(db, table: name + " (duplicates)", order: tableFlags[name].map { $0 & Self.integerDuplicates != 0 } == true ? .integer : .bytes)
                    if damagedRanges.count > before { damagedRanges.append(DamagedRange(table: name, lower: key, upper: nextKey(page, after: index) ?? upper)) }
                } else if table == "main" {
                    let name = String(decoding: key, as: UTF8.self)
                    tables[name] = db
                    tableFlags[name] = db.flags
                    // the table's entries are its own, not the main tree's: there it is one record
                    let counted = entriesCounted
                    walkTree(db, table: name, order: db.flags & Self.integerKeys != 0 ? .integer : .bytes)
                    entriesCounted = counted + 1
                } else {
                    entriesCounted += 1
                }
                continue
            }
            if node.flags & LMDBPage.dupData != 0 {
                // the key's duplicates on an inline sub-page
                let sub = LMDBPage(bytes: value)
                guard let values = Self.subPageValues(sub) else {
                    damage(number, table, "entry \(index) holds a damaged duplicate sub-page")
                    damagedRanges.append(DamagedRange(table: table, lower: key, upper: nextKey(page, after: index) ?? upper))
                    continue
                }
                entriesCounted += values.count
                for duplicate in values { visitEntry(table, key, duplicate) }
                continue
            }
            if table == "free pages" { noteFree(value, page: number) }
            visitEntry(table, key, value)
        }
    }

    private func visitEntry(_ table: String, _ key: [UInt8], _ value: [UInt8]) {
        visit?(table, key, value)
    }

    private func nextKey(_ page: LMDBPage, after index: Int) -> [UInt8]? {
        guard index + 1 < page.keyCount else { return nil }
        let next = page.node(at: page.nodeOffset(index + 1))
        return Array(page.bytes[next.keyOffset..<next.dataOffset])
    }

    /// The value held on the overflow run starting at `first`, checked; nil (and a damage) if not.
    private mutating func overflowValue(_ first: UInt64, size: Int, table: String) -> [UInt8]? {
        guard first >= 2, first <= file.lastPage, first < UInt64(reached.count), !reached[Int(first)] else {
            damage(first, table, "a value names overflow page \(first), outside the file or already used")
            return nil
        }
        guard depth == .everyPage else {
            reached[Int(first)] = true
            return []
        }
        guard let head = file.page(first) else {
            damage(first, table, "the overflow page cannot be read")
            return nil
        }
        let page = LMDBPage(bytes: head)
        let pages = page.overflowPages
        guard page.number == first, page.flags == LMDBPage.overflow, pages >= 1,
              first &+ UInt64(pages) - 1 <= file.lastPage, Int(first) + pages <= reached.count,
              size <= pages * file.pageSize - LMDBPage.headerSize
        else {
            damage(first, table, "overflow page header damaged (number \(page.number), flags \(page.flags), \(pages) pages for \(size) bytes)")
            return nil
        }
        for run in 0..<pages where reached[Int(first) + run] {
            damage(first + UInt64(run), table, "an overflow page is reached twice")
            return nil
        }
        for run in 0..<pages { reached[Int(first) + run] = true }
        // a check needs the run's header and bounds, not its bytes
        guard visit != nil else { return [] }
        guard let all = file.page(first, count: pages) else {
            damage(first, table, "the overflow run cannot be read")
            return nil
        }
        return Array(all[LMDBPage.headerSize..<(LMDBPage.headerSize + size)])
    }

    /// Records the pages a free-list entry names (a count, then that many page numbers).
    private mutating func noteFree(_ value: [UInt8], page: UInt64) {
        let list = LMDBPage(bytes: value)
        guard value.count >= 8 else { return }
        let count = list.u64(0)
        guard count <= UInt64(value.count / 8 - 1) else {
            damage(page, "free pages", "a free-list entry counts \(count) pages in \(value.count) bytes")
            return
        }
        // LMDB takes these numbers on trust when a write reuses pages: one outside the file, or
        // named twice, is handed out twice and stops LMDB on its own assertion (mdb_page_dirty)
        for index in 0..<Int(count) {
            let free = list.u64(8 + 8 * index)
            guard free >= 2, free <= file.lastPage, free < UInt64(self.free.count) else {
                damage(page, "free pages", "the free list names page \(free), outside the file's pages 2…\(file.lastPage)")
                return
            }
            guard !self.free[Int(free)] else {
                damage(page, "free pages", "the free list names page \(free) twice")
                return
            }
            self.free[Int(free)] = true
        }
    }
}
