import FeatureMemory
import Foundation
import Testing

/// Faults a store must survive: a reader killed while holding its slot, backups of a store in use.
@Suite struct FaultTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func aReaderKilledWithItsSlotTakenIsClearedAtTheNextOpen() throws {
        let path = temp.path("s")
        try FMDBRunner.run(["create", path, "--dim", "2"])
        try FMDBRunner.run(["put", path, "1", "--vector", "1,2"])
        // this process keeps the store open, so the lock file is not reset when the last user
        // leaves: the dead reader's slot stays taken until someone clears it
        // (no node cache: its prefetch thread's own reads would count among the readers in use)
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(createIfMissing: false, cacheBytes: 0))
        let binary = try #require(FMDBRunner.binary)
        let reader = Process()
        reader.executableURL = binary
        reader.arguments = ["hold-read", path]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        // wait until the child holds its read transaction
        let line = output.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).hasPrefix("reading"))
        kill(reader.processIdentifier, SIGKILL)
        reader.waitUntilExit()
        let stats = try FMDBRunner.run(["stats", path, "--json"]).json()
        // its held read, and the warm-start read of its prefetch thread if that was still running
        let cleared = stats["stale_readers_cleared"] as? Int ?? 0
        #expect((1...2).contains(cleared))
        #expect(stats["readers_in_use"] as? Int == 0)
        #expect(try FMDBRunner.run(["put", path, "2", "--vector", "3,4"]).status == 0)
        #expect(try FMDBRunner.run(["verify", path]).status == 0)
        #expect(try store.count() == 2)
    }

    @Test func aBackupTakenDuringAWriteHoldsTheLastCommitAndVerifies() throws {
        let path = temp.path("s"), copy = temp.path("copy")
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(dimension: 3))
        try store.put((0..<200).map { VectorItem(id: UInt64($0), vector: [Float($0), 1, 2]) })
        try store.write { txn in
            try txn.delete(5)
            try txn.put([9, 9, 9], for: 1000)
            // the write is open: a backup in another process copies the last commit
            let result = try FMDBRunner.run(["backup", path, copy, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let backup = try FeatureStore(at: URL(fileURLWithPath: copy), options: .init(createIfMissing: false))
        #expect(try backup.count() == 200)
        #expect(try backup.contains(5))
        #expect(try !backup.contains(1000))
        #expect(try backup.verify().isClean)
        #expect(try backup.nearest(to: [7, 1, 2], count: 1).first?.id == 7)
        let again = try FMDBRunner.run(["backup", path, copy])
        #expect(again.status == 1)
        #expect(again.stderr.contains("not empty"))
    }

    @Test func compactRefusesAStoreOpenElsewhereAndKeepsEverything() throws {
        let path = temp.path("s")
        do {
            let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(dimension: 4))
            try store.put((0..<300).map { VectorItem(id: UInt64($0), vector: [Float($0), 1, 2, 3]) })
            try store.delete((0..<150).map { UInt64($0 * 2) })
            let refused = try FMDBRunner.run(["compact", path])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("open in another process"))
            #expect(try store.count() == 150)
        }
        let result = try FMDBRunner.run(["compact", path, "--json"]).json()
        let before = try #require(result["bytes_before"] as? Int), after = try #require(result["bytes_after"] as? Int)
        #expect(after < before)
        let reopened = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(createIfMissing: false))
        #expect(try reopened.count() == 150)
        #expect(try reopened.get(7).vector == [7, 1, 2, 3])
        #expect(try reopened.verify().isClean)
        try reopened.put([1, 1, 1, 1], for: 9999)
        #expect(try reopened.nearest(to: [1, 1, 1, 1], count: 1).first?.id == 9999)
    }
}
