/// The checks of single pages a walk makes, also used on their own (`fmdb page-check`, open-time checks).
extension PageWalk {
    /// Why the keys of a checked page are out of order or outside `lower..<upper`, or nil.
    static func checkOrder(_ page: LMDBPage, order: KeyOrder, isLeaf: Bool, lower: [UInt8]?, upper: [UInt8]?) -> String? {
        let count = page.keyCount
        let bytes = page.bytes
        func key(_ index: Int) -> ArraySlice<UInt8> {
            if page.flags & LMDBPage.leaf2 != 0 {
                let start = LMDBPage.headerSize + index * page.pad
                return bytes[start..<(start + page.pad)]
            }
            let node = page.node(at: page.nodeOffset(index))
            return bytes[node.keyOffset..<node.dataOffset]
        }
        // a branch page's first key is empty: its child's range starts at the parent's bound
        let first = isLeaf ? 0 : 1
        guard first < count else { return nil }
        var previous = key(first)
        if let lower, order.precedes(previous, lower[...]) != false {
            if previous != lower[...] { return "entry \(first) lies below the range its parent gives the page" }
        }
        for index in first..<count {
            let current = key(index)
            if index > first {
                guard order.precedes(previous, current) == true else { return "entry \(index) is out of order" }
            }
            if let upper, order.precedes(current, upper[...]) != true {
                return "entry \(index) lies above the range its parent gives the page"
            }
            previous = current
        }
        return nil
    }

    /// Why the tree page `number` cannot be trusted, or nil when its header and nodes are sound.
    static func check(_ page: LMDBPage, number: UInt64, isLeaf: Bool, file: DataFile) -> String? {
        let size = page.bytes.count
        guard page.number == number else { return "the header names page \(page.number)" }
        let flags = page.flags
        let expected = isLeaf ? [LMDBPage.leaf, LMDBPage.leaf | LMDBPage.leaf2] : [LMDBPage.branch]
        guard expected.contains(flags) else {
            return "flags 0x\(String(flags, radix: 16)) where a \(isLeaf ? "leaf" : "branch") page belongs"
        }
        return checkNodes(page, size: size, isLeaf: isLeaf, isSubPage: false, file: file)
    }

    /// Bounds of a page's (or sub-page's) node table and nodes.
    static func checkNodes(_ page: LMDBPage, size: Int, isLeaf: Bool, isSubPage: Bool, file: DataFile?) -> String? {
        let lower = page.lower, upper = page.upper
        guard lower >= LMDBPage.headerSize, lower <= upper, upper <= size, (lower - LMDBPage.headerSize) % 2 == 0 else {
            return "free-space bounds \(lower)…\(upper) outside the page"
        }
        let count = page.keyCount
        guard count >= 1 || isSubPage else { return "the page holds no entries" }
        if page.flags & LMDBPage.leaf2 != 0 {
            let keySize = page.pad
            guard keySize >= 1, LMDBPage.headerSize + count * keySize <= size else {
                return "\(count) fixed-size keys of \(keySize) bytes overrun the page"
            }
            return nil
        }
        for index in 0..<count {
            let offset = page.nodeOffset(index)
            guard offset >= upper, offset + LMDBPage.nodeHeaderSize <= size else {
                return "entry \(index) starts at \(offset), outside \(upper)…\(size)"
            }
            let node = page.node(at: offset)
            var end = node.dataOffset
            if isLeaf && !isSubPage {
                guard node.flags & ~(LMDBPage.bigData | LMDBPage.subData | LMDBPage.dupData) == 0 else {
                    return "entry \(index) has flags 0x\(String(node.flags, radix: 16))"
                }
                if node.flags & LMDBPage.bigData != 0 {
                    guard node.flags == LMDBPage.bigData else { return "entry \(index) has flags 0x\(String(node.flags, radix: 16))" }
                    end += 8
                } else {
                    end += node.dataSize
                    if node.flags & LMDBPage.subData != 0, node.dataSize != LMDBPage.dbRecordSize {
                        return "entry \(index) holds a tree record of \(node.dataSize) bytes"
                    }
                }
            } else if !isLeaf {
                guard let file, node.child >= 2, node.child <= file.lastPage else {
                    return "entry \(index) names child page \(node.child), outside pages 2…\(file?.lastPage ?? 0)"
                }
            }
            guard end <= size else { return "entry \(index) (\(end - offset) bytes at \(offset)) overruns the page" }
        }
        return nil
    }

    /// The entries of page `number` when it is an intact leaf of plain entries (no duplicates, no
    /// nested trees), its overflow values read and checked; nil for anything else. For salvage,
    /// which scans pages no readable tree reaches.
    static func plainLeafEntries(_ number: UInt64, file: DataFile) -> [(key: [UInt8], value: [UInt8])]? {
        guard let bytes = file.page(number) else { return nil }
        let page = LMDBPage(bytes: bytes)
        guard page.flags == LMDBPage.leaf, check(page, number: number, isLeaf: true, file: file) == nil else { return nil }
        var entries: [(key: [UInt8], value: [UInt8])] = []
        for index in 0..<page.keyCount {
            let node = page.node(at: page.nodeOffset(index))
            let key = Array(bytes[node.keyOffset..<node.dataOffset])
            if node.flags == 0 {
                entries.append((key, Array(bytes[node.dataOffset..<(node.dataOffset + node.dataSize)])))
            } else if node.flags == LMDBPage.bigData {
                let first = page.u64(node.dataOffset)
                guard first >= 2, let head = file.page(first) else { continue }
                let overflow = LMDBPage(bytes: head)
                let pages = overflow.overflowPages
                guard overflow.number == first, overflow.flags == LMDBPage.overflow, pages >= 1,
                      node.dataSize <= pages * file.pageSize - LMDBPage.headerSize,
                      let all = file.page(first, count: pages) else { continue }
                entries.append((key, Array(all[LMDBPage.headerSize..<(LMDBPage.headerSize + node.dataSize)])))
            } else {
                return nil
            }
        }
        return entries
    }

    /// The values on an inline duplicate sub-page, or nil when it is damaged.
    static func subPageValues(_ sub: LMDBPage) -> [[UInt8]]? {
        guard sub.bytes.count >= LMDBPage.headerSize, sub.flags & LMDBPage.subPage != 0, sub.flags & LMDBPage.leaf != 0,
              checkNodes(sub, size: sub.bytes.count, isLeaf: true, isSubPage: true, file: nil) == nil
        else { return nil }
        let count = sub.keyCount
        if sub.flags & LMDBPage.leaf2 != 0 {
            let keySize = sub.pad
            return (0..<count).map { Array(sub.bytes[(LMDBPage.headerSize + $0 * keySize)..<(LMDBPage.headerSize + ($0 + 1) * keySize)]) }
        }
        return (0..<count).map { index in
            let node = sub.node(at: sub.nodeOffset(index))
            return Array(sub.bytes[node.keyOffset..<node.dataOffset])
        }
    }
}
