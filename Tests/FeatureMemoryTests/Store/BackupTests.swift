import Foundation
import Testing
@testable import FeatureMemory

/// `FeatureStore.backup(from:to:compact:)`: a consistent copy of a store, in use or not.
struct BackupTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    var destination: URL { temporary.url.appendingPathComponent("copy") }

    func contents(of directory: URL) throws -> [UInt64: [Float]] {
        let store = try FeatureStore(at: directory, options: StoreOptions(createIfMissing: false, cacheBytes: 0))
        var items: [UInt64: [Float]] = [:]
        try store.read { txn in try txn.forEach { items[$0.id] = $0.vector; return true } }
        return items
    }

    /// A store object of this process has the store open with its own environment options; the
    /// backup shares that environment rather than being refused for options of its own.
    @Test(arguments: [true, false])
    func aStoreInUseIsCopiedWithEveryCommit(compact: Bool) throws {
        let store = try temporary.store(dimension: 2, durability: .noSync, mapSizeCap: 64 << 20)
        try store.put([VectorItem(id: 1, vector: [1, 2], label: "a"), VectorItem(id: 2, vector: [3, 4])])
        try store.delete(2)
        let report = try FeatureStore.backup(from: store.directory, to: destination, compact: compact)
        #expect(try contents(of: destination) == [1: [1, 2]])
        #expect(report.copyBytes == (try FileManager.default.attributesOfItem(atPath: destination.path + "/data.mdb")[.size] as? Int))
        #expect(report.sourceBytes == (try store.statistics().fileBytes))
        // the open store is as it was, and goes on
        #expect(store.environment.durabilityInEffect == .noSync)
        try store.put([5, 6], for: 3)
        #expect(try store.count() == 2)
    }

    /// Backups of a store whose map a writer thread of this process keeps growing: LMDB's copy
    /// walks the map through a transaction of its own, which the resize lock once did not cover,
    /// so a resize under a compacting copy died of SIGSEGV in LMDB (about 1 run in 36 of the
    /// warm-start stress test). Each copy holds a prefix of the writer's batches, whole.
    @Test(arguments: [true, false])
    func backupsBesideWritesThatGrowTheMapHoldWholeBatches(compact: Bool) throws {
        let store = try temporary.store(dimension: 16, hnsw: .cheap, initialMapSize: 1 << 16)
        let batches = 60, batchSize = 50
        let problems = ProblemLog()
        let writer = onNewThread { [store] in
            do {
                for batch in 0..<batches {
                    let ids = (batch * batchSize)..<((batch + 1) * batchSize)
                    try store.put(ids.map { VectorItem(id: UInt64($0), vector: versionedVector(id: UInt64($0), version: 0, dimension: 16)) })
                }
            } catch {
                problems.record("writer: \(error)")
            }
        }
        var copies: [URL] = []
        let deadline = Date(timeIntervalSinceNow: 20)
        while copies.count < 40 && Date() < deadline {
            let copy = temporary.url.appendingPathComponent("copy-\(copies.count)")
            _ = try FeatureStore.backup(from: store.directory, to: copy, compact: compact)
            copies.append(copy)
            if try store.count() == batches * batchSize { break }
        }
        writer.wait()
        #expect(problems.all.isEmpty, "\(problems.all)")
        #expect(try store.statistics().mapBytes > 1 << 16)
        for copy in copies {
            let items = try contents(of: copy)
            #expect(items.count % batchSize == 0 && Set(items.keys) == Set((0..<items.count).map(UInt64.init)), "\(copy.lastPathComponent): \(items.count)")
            #expect(items.allSatisfy { $0.value == versionedVector(id: $0.key, version: 0, dimension: 16) })
        }
    }

    @Test func aClosedStoreIsCopiedAndLeftClosed() throws {
        do {
            let store = try temporary.store(dimension: 2)
            try store.put([1, 2], for: 7)
        }
        _ = try FeatureStore.backup(from: temporary.storeURL, to: destination)
        #expect(!EnvironmentRegistry.shared.isOpen(directory: temporary.storeURL.path))
        #expect(try contents(of: destination) == [7: [1, 2]])
    }

    @Test func aDestinationThatIsNotEmptyIsRefusedAndLeftAlone() throws {
        let store = try temporary.store(dimension: 2)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: destination.appendingPathComponent("note"))
        #expect(throws: StoreError.io(path: destination.path, reason: "not empty; a backup goes into a new or empty directory")) {
            try FeatureStore.backup(from: store.directory, to: destination)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path) == ["note"])
    }

    @Test func aMissingStoreIsRefusedAndNothingIsCreated() throws {
        #expect(throws: StoreError.storeNotFound(path: temporary.storeURL.path)) {
            try FeatureStore.backup(from: temporary.storeURL, to: destination)
        }
        #expect(!FileManager.default.fileExists(atPath: temporary.storeURL.path))
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }
}

/// `FeatureStore.compact(at:)`: the same shape as a backup, in place.
struct CompactionTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func aClosedStoreIsRewrittenSmallerWithEveryCommit() throws {
        do {
            let store = try temporary.store(dimension: 64, hnsw: .cheap)
            var random = SeededGenerator(seed: 3)
            try store.put((0..<300).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(64)) })
            try store.delete(Array(0..<250))
        }
        let report = try FeatureStore.compact(at: temporary.storeURL)
        #expect(report.bytesAfter < report.bytesBefore)
        let store = try temporary.store(dimension: nil, metric: nil)
        #expect(try store.read { try $0.ids() } == Array(250..<300))
        #expect(try store.verify().isClean)
    }

    /// Another compaction swaps the file while this one copies, and commits bring the new
    /// file's transaction number (a compacted copy starts at 1) back to the one this compaction
    /// noted: the swap must still see a different file, or it would put back the old copy and
    /// lose those commits.
    @Test func aSwapByAnotherCompactionIsSeenWhenTheTransactionNumberComesBack() throws {
        let dataPath = temporary.storeURL.path + "/data.mdb"
        do {
            let store = try temporary.store(dimension: 4, hnsw: .cheap)
            for id in 0..<12 as Range<UInt64> { try store.put([Float(id), 1, 2, 3], for: id) }
        }
        let noted = try #require(try DataFile(path: dataPath)?.meta.transactionID)
        var added: [UInt64] = []
        FeatureStore.afterCopy = {
            FeatureStore.afterCopy = nil
            _ = try FeatureStore.compact(at: temporary.storeURL)
            let store = try temporary.store(dimension: nil, metric: nil)
            var id: UInt64 = 100
            while try #require(try DataFile(path: dataPath)?.meta.transactionID) < noted {
                try store.put([Float(id), 0, 0, 1], for: id)
                added.append(id)
                id += 1
            }
        }
        defer { FeatureStore.afterCopy = nil }
        let report = try FeatureStore.compact(at: temporary.storeURL)
        #expect(!added.isEmpty)
        #expect(report.notRenumbered == "the store changed while it was being renumbered")
        let store = try temporary.store(dimension: nil, metric: nil)
        #expect(try store.read { try $0.ids() } == Array(0..<12) + added)
        #expect(try store.verify().isClean)
    }

    @Test func aStoreOpenInThisProcessIsRefused() throws {
        let store = try temporary.store(dimension: 2)
        #expect(throws: StoreError.io(path: store.directory.path, reason: "the store is open in this process; close it before compacting")) {
            try FeatureStore.compact(at: store.directory)
        }
    }
}
