import FeatureMemory
import Foundation
import Testing
@testable import fmdb

/// `fmdb import` ends by compacting away the free pages its commits left, when they take an
/// eighth of the file and no other process has the store open; otherwise it says why not.
@Suite struct ImportCompactionTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// 3,000 rows in commits of 100: every commit rewrites much of the graph, leaving free pages.
    func file() throws -> (path: String, vectors: [[Float]]) {
        var random = SeededGenerator(seed: 11)
        let vectors = random.vectors(3_000, dimension: 16)
        return (try temp.fvecs(vectors, name: "in.fvecs"), vectors)
    }

    func expectHolds(_ store: FeatureStore, _ vectors: [[Float]], firstID: UInt64 = 0) throws {
        for (row, vector) in vectors.enumerated() where row % 97 == 0 { #expect(try store.get(firstID + UInt64(row)).vector == vector) }
        #expect(try store.verify().isClean)
    }

    @Test func theFreePagesAreCompactedAway() throws {
        let (file, vectors) = try file()
        let path = temp.path("s")
        let result = try FMDBRunner.run(["import", path, file, "--batch-size", "100", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let compacted = try #require(try result.json()["compacted"] as? [String: Any])
        let before = try #require(compacted["bytes_before"] as? Int), after = try #require(compacted["bytes_after"] as? Int)
        #expect(after < before)
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(createIfMissing: false))
        #expect(try store.freeBytes() == 0)
        #expect(try store.mapUsage().fileBytes == after)
        #expect(try store.count() == 3_000)
        try expectHolds(store, vectors)
    }

    @Test func noCompactLeavesThem() throws {
        let (file, vectors) = try file()
        let path = temp.path("s")
        let result = try FMDBRunner.run(["import", path, file, "--batch-size", "100", "--json", "--no-compact"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["compacted"] == nil)
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(createIfMissing: false))
        // what the default would have compacted: at least an eighth of the file
        #expect(try store.freeBytes() >= store.mapUsage().fileBytes / 8)
        #expect(try store.count() == 3_000)
        try expectHolds(store, vectors)
    }

    /// Another process has the store open: the rows are all committed, the file is left as it is,
    /// and the import succeeds with a note.
    @Test func aStoreOpenElsewhereIsLeftUncompacted() throws {
        let (file, vectors) = try file()
        let path = temp.path("s")
        #expect(try FMDBRunner.run(["import", path, file, "--batch-size", "100", "--no-compact"]).status == 0)
        let holder = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(createIfMissing: false))
        let bytesBefore = try holder.mapUsage().fileBytes
        let result = try FMDBRunner.run(["import", path, file, "--first-id", "3000", "--batch-size", "100", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try result.json()
        #expect(summary["compacted"] == nil)
        #expect((summary["not_compacted"] as? String)?.isEmpty == false)
        #expect(try holder.mapUsage().fileBytes >= bytesBefore)
        #expect(try holder.count() == 6_000)
        try expectHolds(holder, vectors)
        try expectHolds(holder, vectors, firstID: 3_000)
    }
}
