import Foundation
import Testing
@testable import FeatureMemory

/// Putting ids that are already stored (upserts), and batches naming an id more than once, on
/// the plain and the parallel batch path: the graph stays whole and every id is found.
struct UpsertTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    func items(_ ids: Range<UInt64>, seed: UInt64, dimension: Int = 16) -> [VectorItem] {
        var random = SeededGenerator(seed: seed)
        return ids.map { VectorItem(id: $0, vector: random.gaussianVector(dimension), label: "l\($0 % 3)") }
    }

    /// Every id's vector finds that id first through the graph.
    func expectEveryIDFound(_ store: FeatureStore, _ items: [VectorItem], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var missed: [UInt64] = []
        for item in items where try store.nearest(to: item.vector, count: 1, ef: 100).first?.id != item.id {
            missed.append(item.id)
        }
        #expect(missed.isEmpty, "not found by search: \(missed.prefix(10))", sourceLocation: sourceLocation)
    }

    /// Batches below 64 insert by plain search, from 64 on in parallel, past 1,024 both.
    @Test(arguments: [1, 63, 64, 100, 1_200])
    func reputtingEveryIDKeepsTheGraphWhole(batchSize: Int) throws {
        let store = try temporary.store(dimension: 16, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        let first = items(0..<1_200, seed: 1)
        for start in stride(from: 0, to: first.count, by: batchSize) {
            try store.put(Array(first[start..<min(start + batchSize, first.count)]))
        }
        // the same ids again, with new vectors and labels
        let second = items(0..<1_200, seed: 2).map { VectorItem(id: $0.id, vector: $0.vector, label: "again") }
        for start in stride(from: 0, to: second.count, by: batchSize) {
            try store.put(Array(second[start..<min(start + batchSize, second.count)]))
        }
        let report = try store.verify()
        #expect(report.isClean, "\(report.problems.prefix(5))")
        #expect(try store.count() == 1_200)
        #expect(try store.get(1_134).vector == second[1_134].vector)
        #expect(try store.read { try $0.ids(withLabel: "again") }.count == 1_200)
        #expect(try store.read { try $0.ids(withLabel: "l0") }.isEmpty)
        try expectEveryIDFound(store, second)
    }

    @Test(arguments: [5, 64, 640])
    func aBatchNamingAnIDRepeatedlyKeepsItsLastItemOnce(batchSize: Int) throws {
        let store = try temporary.store(dimension: 16)
        var random = SeededGenerator(seed: 3)
        let batch = (0..<batchSize).map { index in
            VectorItem(id: UInt64(index % 5), vector: random.gaussianVector(16), label: "v\(index)")
        }
        try store.put(batch)
        #expect(try store.count() == 5)
        let report = try store.verify()
        #expect(report.isClean, "\(report.problems.prefix(5))")
        for id in UInt64(0)..<5 {
            let last = batch.last { $0.id == id }!
            let stored = try store.get(id)
            #expect(stored.vector == last.vector)
            #expect(stored.metadata.label == last.label)
        }
        #expect(try store.nearest(to: batch[0].vector, count: 5).map(\.id).sorted() == [0, 1, 2, 3, 4])
        try expectEveryIDFound(store, (0..<5).map { id in batch.last { $0.id == UInt64(id) }! })
    }

    @Test func aBatchMixingNewStoredAndRepeatedIDsMatchesPuttingThemOneByOne() throws {
        let store = try temporary.store(dimension: 16)
        try store.put(items(0..<300, seed: 4))
        var random = SeededGenerator(seed: 5)
        // stored ids, new ids, and each of them twice
        let ids = (0..<400).map { UInt64(($0 * 7) % 600) }
        let batch = ids.map { VectorItem(id: $0, vector: random.gaussianVector(16)) }
        try store.put(batch)
        var expected: [UInt64: [Float]] = [:]
        for item in items(0..<300, seed: 4) { expected[item.id] = item.vector }
        for item in batch { expected[item.id] = item.vector }
        #expect(try store.count() == expected.count)
        for (id, vector) in expected { #expect(try store.get(id).vector == vector) }
        #expect(try store.verify().isClean)
        try expectEveryIDFound(store, expected.map { VectorItem(id: $0.key, vector: $0.value) })
    }

    @Test func aBatchDeleteNamingAnIDTwiceRemovesItOnce() throws {
        let store = try temporary.store(dimension: 16)
        try store.put(items(0..<10, seed: 6))
        try store.delete([3, 4, 3])
        #expect(try store.count() == 8)
        #expect(try !store.contains(3))
        #expect(try store.verify().isClean)
    }

    @Test func twoStoreObjectsWritingAtOnceBuildOneConnectedGraph() throws {
        let options = StoreOptions(dimension: 16, durability: .noSync)
        let first = try FeatureStore(at: temporary.storeURL, options: options)
        let second = try FeatureStore(at: temporary.storeURL, options: options)
        let batches = [items(0..<1_000, seed: 7), items(1_000..<2_000, seed: 8)]
        let failures = ParallelSlots<String?>(count: 2, initial: nil)
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            let store = side == 0 ? first : second
            do {
                for start in stride(from: 0, to: 1_000, by: 200) {
                    try store.put(Array(batches[side][start..<start + 200]))
                }
            } catch {
                failures[side] = "\(error)"
            }
        }
        #expect(failures.values == [nil, nil])
        #expect(try first.count() == 2_000)
        let report = try second.verify()
        #expect(report.isClean, "\(report.problems.prefix(5))")
        try expectEveryIDFound(first, batches[0] + batches[1])
    }

    /// A store object's readers keep the snapshot rule when another object commits a transaction
    /// with the id of one this object rolled back.
    @Test func aRolledBackWriteDoesNotHideAnotherStoreObjectsCommitFromSearches() throws {
        let options = StoreOptions(dimension: 2, durability: .noSync, resultCacheEntries: 0)
        let first = try FeatureStore(at: temporary.storeURL, options: options)
        let second = try FeatureStore(at: temporary.storeURL, options: options)
        for id in UInt64(0)..<50 { try first.put([Float(id), 0], for: id) }
        // the cache of the first object holds every node
        for id in 0..<50 { _ = try first.nearest(to: [Float(id), 0], count: 1) }
        struct Abandon: Error {}
        #expect(throws: Abandon.self) {
            try first.write { txn in
                try txn.put([7, 7], for: 7)
                throw Abandon()
            }
        }
        // the same transaction id, committed by the other object: id 10 moves far away
        try second.update(10, vector: [1_000, 0])
        #expect(try first.nearest(to: [1_000, 0], count: 1).first?.id == 10)
        #expect(try first.nearest(to: [10, 0], count: 1).first?.id != 10)
        #expect(try first.get(7).vector == [7, 0])
    }
}

/// One vector stored under many ids (a file imported again under new ids): every copy stays
/// reachable.
struct CopyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test(arguments: [Metric.l2, .cosine])
    func copiesOfAVectorStayReachable(metric: Metric) throws {
        let store = try temporary.store(dimension: 16, metric: metric)
        var random = SeededGenerator(seed: 11)
        try store.put((0..<1_000).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(16)) })
        let rows = (0..<10).map { _ in random.gaussianVector(16) }
        // a hundred imports of the same ten rows, each under new ids, in batches of ten
        for round in 0..<100 {
            try store.put(rows.enumerated().map { VectorItem(id: UInt64(10_000 + round * 10 + $0.offset), vector: $0.element) })
        }
        let report = try store.verify()
        #expect(report.isClean, "\(report.problems.count) problems: \(report.problems.prefix(3))")
        // a search for a row with k = 100 finds every copy of it
        let found: Set<UInt64> = Set(try store.nearest(to: rows[5], count: 100, ef: 300).map(\.id))
        let copies: Set<UInt64> = Set((0..<100).map { (round: Int) -> UInt64 in UInt64(10_005 + round * 10) })
        #expect(found == copies)
    }
}

/// A write started inside a write block on the same thread fails instead of waiting for itself.
struct NestedWriteTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func aPutInsideAWriteBlockThrowsAndTheOuterWriteGoesOn() throws {
        let store = try temporary.store(dimension: 2)
        try store.write { txn in
            try txn.put([1, 1], for: 1)
            #expect(throws: StoreError.nestedWrite) { try store.put([2, 2], for: 2) }
            #expect(throws: StoreError.nestedWrite) { try store.put([VectorItem(id: 3, vector: [3, 3])]) }
            try txn.put([4, 4], for: 4)
        }
        #expect(try store.read { try $0.ids() } == [1, 4])
        #expect(try store.verify().isClean)
        // and the next write works
        try store.put([5, 5], for: 5)
        #expect(try store.count() == 3)
    }

    @Test func aNestedWriteThroughAnotherStoreObjectThrowsAndAnUncaughtOneRollsBack() throws {
        let store = try temporary.store(dimension: 2)
        // the environment options of `store` (TemporaryDirectory.store's), which the two share
        let other = try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            durability: .noSync, initialMapSize: 1 << 20, createIfMissing: false))
        #expect(throws: StoreError.nestedWrite) {
            try store.write { txn in
                try txn.put([1, 1], for: 1)
                try other.delete([1])
            }
        }
        #expect(try store.count() == 0)
        try other.put([2, 2], for: 2)
        #expect(try store.read { try $0.ids() } == [2])
    }
}

extension UpsertTests {
    @Test func aBadLabelOnAnItemALaterOneReplacesStillFailsTheBatch() throws {
        let store = try temporary.store(dimension: 2)
        let batch = [VectorItem(id: 1, vector: [1, 1], label: ""), VectorItem(id: 1, vector: [2, 2], label: "ok")]
        #expect(throws: StoreError.self) { try store.put(batch) }
        #expect(try store.count() == 0)
    }
}
