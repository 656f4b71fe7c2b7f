import Foundation
import Testing
@testable import FeatureMemory

/// A damaged data file is found by reading its pages before LMDB maps it: opening throws a typed
/// error naming the page, where reading the map would raise SIGBUS or SIGSEGV.
struct PageCheckTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    var dataFile: URL { temporary.storeURL.appendingPathComponent("data.mdb") }
    let pageSize = 4096

    /// 400 vectors (stored raw at this dimension) written in one transaction: one copy of each record on disk.
    func writeStore() throws -> [[Float]] {
        var random = SeededGenerator(seed: 99)
        let vectors = (0..<400).map { _ in random.gaussianVector(64) }
        let store = try temporary.store(dimension: 64, durability: .full)
        try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        return vectors
    }

    /// The page holding the record of `vector`.
    func page(holding vector: [Float]) throws -> Int {
        let file = [UInt8](try Data(contentsOf: dataFile))
        let found = occurrences(of: bytes(of: vector), in: file)
        #expect(found.count == 1)
        return try #require(found.first) / pageSize
    }

    func overwrite(page: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: dataFile)
        try handle.seek(toOffset: UInt64(page * pageSize))
        handle.write(Data(bytes))
        try handle.close()
    }

    func expectDamage(at page: Int?, table: String?, reasonContains text: String) throws {
        do {
            _ = try FeatureStore(at: temporary.storeURL)
            Issue.record("a damaged store opened")
        } catch let StoreError.damagedFile(path, damagedPage, damagedTable, reason) {
            #expect(path == dataFile.path)
            if let page { #expect(damagedPage == page) }
            #expect(damagedTable == table)
            #expect(reason.contains(text), "\(reason)")
        }
        let report = try FeatureStore.verifyFile(at: temporary.storeURL)
        #expect(!report.isClean)
        #expect(report.problems.allSatisfy { $0.kind == .damagedPage })
    }

    /// A free-list entry naming a page outside the file, or one page twice, is found: LMDB hands
    /// such a page out twice when a write reuses it and stops on its own assertion.
    @Test(arguments: [true, false])
    func aDamagedFreeListIsFound(outside: Bool) throws {
        let vectors = try writeStore()
        do {
            // a second transaction replaces records, so the first one's pages go on the free list
            let store = try temporary.store(dimension: 64, durability: .full)
            try store.put(vectors.prefix(50).enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element.map { $0 + 1 }) })
        }
        let file = try #require(try DataFile(path: dataFile.path))
        let root = Int(file.meta.freeDB.root)
        var page = [UInt8](try Data(contentsOf: dataFile)[(root * pageSize)..<((root + 1) * pageSize)])
        // a leaf: header (16 bytes), node offsets; node: sizes (4), flags (2), key size (2), key, value
        let node = Int(page[16]) | Int(page[17]) << 8
        let keySize = Int(page[node + 6]) | Int(page[node + 7]) << 8
        let value = node + 8 + keySize
        let count = page[value..<(value + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        try #require(count >= 2)
        let first = Array(page[(value + 8)..<(value + 16)])
        let replacement = outside ? withUnsafeBytes(of: UInt64(file.lastPage + 1000).littleEndian, Array.init) : first
        page.replaceSubrange((value + 16)..<(value + 24), with: replacement)
        try overwrite(page: root, with: page)
        try expectDamage(at: root, table: "free pages", reasonContains: outside ? "outside the file's pages" : "twice")
    }

    @Test func aCleanStoreHasNoPageDamage() throws {
        _ = try writeStore()
        #expect(try FeatureStore.verifyFile(at: temporary.storeURL).isClean)
        let problems = try FeatureStore(at: temporary.storeURL).verify().problems
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func aTruncatedFileIsRefusedBeforeLMDBMapsIt() throws {
        _ = try writeStore()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dataFile.path)[.size] as? Int)
        try FileHandle(forWritingTo: dataFile).truncate(atOffset: UInt64(size / 2))
        try expectDamage(at: nil, table: nil, reasonContains: "truncated: \(size / 2) bytes")
    }

    @Test func aZeroedLeafPageIsNamedWithItsTable() throws {
        let vectors = try writeStore()
        let page = try page(holding: vectors[200])
        try overwrite(page: page, with: [UInt8](repeating: 0, count: pageSize))
        try expectDamage(at: page, table: "vectors", reasonContains: "the header names page 0")
    }

    @Test(arguments: [1, 2, 3])
    func aRandomPageIsNamed(seed: UInt64) throws {
        let vectors = try writeStore()
        let page = try page(holding: vectors[100])
        var random = SeededGenerator(seed: seed)
        try overwrite(page: page, with: (0..<pageSize).map { _ in UInt8.random(in: 0...255, using: &random) })
        try expectDamage(at: page, table: "vectors", reasonContains: "header names page")
    }

    @Test(arguments: [true, false])
    func aZeroedMetaPageIsNamed(inUse: Bool) throws {
        _ = try writeStore()
        let current = try #require(try DataFile(path: dataFile.path)).metaPage
        let page = inUse ? current : 1 - current
        try overwrite(page: page, with: [UInt8](repeating: 0, count: pageSize))
        try expectDamage(at: page, table: nil, reasonContains: "meta page \(page) is not a valid LMDB meta page")
        // the other meta page is enough for salvage: the last commit's state, or the one before
        let report = try FeatureStore.salvage(from: temporary.storeURL, to: temporary.url.appendingPathComponent("salvaged"))
        #expect(report.damage.first?.page == page)
        #expect(report.damage.first?.reason.contains("the last commit is missing if the damaged page held it") == true)
        if !inUse { #expect(report.recovered == 400) }
    }

    /// A branch key changed so that the keys are out of order: LMDB would look in the wrong child
    /// and miss records, and verify (which walks with cursors) would not notice.
    @Test func aBranchKeyOutOfOrderIsFound() throws {
        _ = try writeStore()
        var walk = PageWalk(file: try #require(try DataFile(path: dataFile.path)), depth: .everyPage)
        walk.run()
        let vectors = try #require(walk.tables["vectors"])
        #expect(vectors.depth == 2)
        var root = LMDBPage(bytes: [UInt8](try Data(contentsOf: dataFile))[(Int(vectors.root) * pageSize)..<((Int(vectors.root) + 1) * pageSize)].map { $0 })
        #expect(root.keyCount >= 3)
        let second = root.node(at: root.nodeOffset(1))
        var bytes = root.bytes
        bytes.replaceSubrange(second.keyOffset..<(second.keyOffset + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
        root = LMDBPage(bytes: bytes)
        try overwrite(page: Int(vectors.root), with: root.bytes)
        try expectDamage(at: Int(vectors.root), table: "vectors", reasonContains: "entry 2 is out of order")
    }

    /// LMDB's entry count of a table is read from the file and handed out by `mdb_stat` (the
    /// store's count is the keys table's): a damaged one is found, not trusted.
    @Test func aDamagedEntryCountOfATableIsFound() throws {
        _ = try writeStore()
        let file = try #require(try DataFile(path: dataFile.path))
        let rootNumber = Int(file.meta.mainDB.root)
        let root = LMDBPage(bytes: [UInt8](try Data(contentsOf: dataFile))[(rootNumber * pageSize)..<((rootNumber + 1) * pageSize)].map { $0 })
        let node = try #require((0..<root.keyCount).map { root.node(at: root.nodeOffset($0)) }.first {
            Array(root.bytes[$0.keyOffset..<$0.dataOffset]) == Array("keys".utf8)
        })
        var bytes = root.bytes
        bytes.replaceSubrange((node.dataOffset + 32)..<(node.dataOffset + 40), with: [UInt8](repeating: 0xFF, count: 8))
        try overwrite(page: rootNumber, with: bytes)
        try expectDamage(at: nil, table: "keys", reasonContains: "the tree holds 400 entries; its record counts \(UInt64.max)")
    }

    /// A page whose header is intact but whose first node offset points outside the page: LMDB
    /// would read past the page.
    @Test func aNodeOffsetOutsideThePageIsFound() throws {
        let vectors = try writeStore()
        let page = try page(holding: vectors[300])
        let handle = try FileHandle(forUpdating: dataFile)
        try handle.seek(toOffset: UInt64(page * pageSize + LMDBPage.headerSize))
        handle.write(Data([0xF0, 0xFF]))
        try handle.close()
        try expectDamage(at: page, table: "vectors", reasonContains: "entry 0 starts at 65520")
    }
}
