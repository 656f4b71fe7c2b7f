import Foundation
import Testing
@testable import FeatureMemory

/// Storing vectors: round trips of every record kind under every metric, replacement, rollback.
struct PutTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test(arguments: Metric.allCases, RecordKind.all)
    func everyRecordKindRoundTrips(metric: Metric, kind: RecordKind) throws {
        let dimension = 40
        let store = try temporary.store(dimension: dimension, metric: metric)
        var random = SeededGenerator(seed: 21)
        let vector = kind.vector(dimension, using: &random)
        let before = Date()
        try store.put(vector, for: 99, label: kind.label, userData: kind.userData)
        let after = Date()

        let stored = try store.get(99)
        #expect(stored.id == 99)
        #expect(stored.vector.bitPatterns == vector.bitPatterns)
        #expect(stored.metadata.label == kind.label)
        #expect(stored.metadata.userData == kind.userData)
        #expect(stored.metadata.support == 1)
        #expect(stored.metadata.confidence == 1)
        #expect(stored.metadata.creationDate == stored.metadata.modificationDate)
        #expect((before...after).contains(stored.metadata.creationDate))
        try store.read { txn throws in
            #expect(try txn.vector(for: 99).bitPatterns == vector.bitPatterns)
            #expect(try txn.metadata(for: 99) == stored.metadata)
            #expect(try txn.contains(99))
            #expect(try txn.count() == 1)
            if let label = kind.label { #expect(try txn.ids(withLabel: label) == [99]) }
        }
        let statistics = try store.statistics()
        #expect(statistics.compressedRecords == (kind.compressible ? 1 : 0))
        #expect(statistics.rawVectorBytes == dimension * 4)
        if kind.compressible {
            #expect(statistics.storedVectorBytes < dimension * 4)
        } else {
            #expect(statistics.storedVectorBytes == dimension * 4)
        }
        // the search finds it at distance zero (cosine: about zero)
        let hit = try #require(try store.nearest(to: vector, count: 1).first)
        #expect(hit.id == 99)
        if metric != .innerProduct { #expect(abs(hit.distance) < 1e-5) }
    }

    @Test func putOverAnExistingIDReplacesEverythingButKeepsCreationSupportAndConfidence() throws {
        let store = try temporary.store(dimension: 4)
        try store.put([1, 2, 3, 4], for: 5, label: "old", userData: Data([1]))
        try store.write { try $0.setSupport(7, confidence: 0.5, for: 5) }
        let first = try store.get(5).metadata
        try store.put([4, 3, 2, 1], for: 5, label: "new", userData: Data([2, 2]))
        let second = try store.get(5)
        #expect(second.vector == [4, 3, 2, 1])
        #expect(second.metadata.label == "new")
        #expect(second.metadata.userData == Data([2, 2]))
        #expect(second.metadata.creationDate == first.creationDate)
        #expect(second.metadata.modificationDate >= first.modificationDate)
        #expect(second.metadata.support == 7)
        #expect(second.metadata.confidence == 0.5)
        #expect(try store.count() == 1)
        try store.read { txn throws in
            #expect(try txn.ids(withLabel: "old").isEmpty)
            #expect(try txn.ids(withLabel: "new") == [5])
        }
        let statistics = try store.statistics()
        #expect(statistics.tables.first { $0.name == "vectors" }?.entries == 1)
        #expect(statistics.rawVectorBytes == 16)
        #expect(statistics.storedVectorBytes <= 16)
    }

    @Test func putOverAnExistingIDWithoutLabelOrDataRemovesThem() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1, label: "a", userData: Data([9]))
        try store.put([3, 4], for: 1)
        let stored = try store.get(1)
        #expect(stored.metadata.label == nil)
        #expect(stored.metadata.userData == nil)
        #expect(try store.read { try $0.ids(withLabel: "a") }.isEmpty)
    }

    @Test func putSwitchingBetweenRawAndCompressedKeepsTheCountersRight() throws {
        let dimension = 64
        let store = try temporary.store(dimension: dimension)
        var random = SeededGenerator(seed: 3)
        let raw = random.incompressibleVector(dimension)
        let compressed = random.compressibleVector(dimension)
        try store.put(raw, for: 1)
        try store.put(compressed, for: 1)
        var statistics = try store.statistics()
        #expect(statistics.compressedRecords == 1)
        #expect(statistics.storedVectorBytes < dimension * 4)
        #expect(try store.get(1).vector.bitPatterns == compressed.bitPatterns)
        try store.put(raw, for: 1)
        statistics = try store.statistics()
        #expect(statistics.compressedRecords == 0)
        #expect(statistics.storedVectorBytes == dimension * 4)
        #expect(statistics.rawVectorBytes == dimension * 4)
        #expect(try store.get(1).vector.bitPatterns == raw.bitPatterns)
    }

    @Test func emptyUserDataIsStoredAsNone() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1, userData: Data())
        #expect(try store.get(1).metadata.userData == nil)
    }

    @Test func labelsOfUpTo255BytesAreKept() throws {
        let store = try temporary.store(dimension: 2)
        let longest = String(repeating: "é", count: 127) + "x"   // 255 bytes
        #expect(longest.utf8.count == 255)
        try store.put([1, 2], for: 1, label: longest)
        try store.put([1, 2], for: 2, label: "é")
        #expect(try store.get(1).metadata.label == longest)
        #expect(try store.read { try $0.ids(withLabel: longest) } == [1])
    }

    @Test func userDataOfTheMaximumSizeIsKept() throws {
        let store = try temporary.store(dimension: 2, initialMapSize: 64 << 20)
        var data = Data(repeating: 0x5A, count: StoreOptions.maximumUserDataBytes)
        data[0] = 1
        data[data.count / 2] = 2
        data[data.count - 1] = 3
        try store.put([1, 2], for: 1, userData: data)
        #expect(try store.get(1).metadata.userData == data)
    }

    @Test func aWriteBlockSeesItsOwnPutsAndCommitsThemTogether() throws {
        let store = try temporary.store(dimension: 3)
        try store.write { txn throws in
            try txn.put([1, 0, 0], for: 1)
            try txn.put(VectorItem(id: 2, vector: [0, 1, 0], label: "b"))
            #expect(try txn.count() == 2)
            #expect(try txn.get(2).metadata.label == "b")
            #expect(try txn.nearest(to: [0, 1, 0], count: 1).first?.id == 2)
        }
        #expect(try store.read { try $0.ids() } == [1, 2])
    }

    struct Abandon: Error, Equatable {}

    @Test func aThrowingWriteBlockRollsEverythingBack() throws {
        let store = try temporary.store(dimension: 3)
        try store.put([1, 1, 1], for: 1, label: "kept")
        let before = try StoreContents(of: store)
        #expect(throws: Abandon()) {
            try store.write { txn throws in
                try txn.put([2, 2, 2], for: 2, label: "gone")
                try txn.put([3, 3, 3], for: 1, label: "changed")
                try txn.delete(1)
                try txn.put([4, 4, 4], for: 4)
                throw Abandon()
            }
        }
        #expect(try StoreContents(of: store) == before)
    }

    /// Searches after a rolled-back write (graph search and exact search) see only what was
    /// committed, also when the rolled-back block had to grow the map first.
    @Test(arguments: [1 << 20, 1 << 16])
    func searchesAfterARolledBackWriteSeeOnlyCommittedVectors(initialMapSize: Int) throws {
        let dimension = 16
        let store = try temporary.store(dimension: dimension, hnsw: HNSWParameters(m: 4, efConstruction: 32), initialMapSize: initialMapSize)
        var random = SeededGenerator(seed: 61)
        let items = (0..<40).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(dimension)) }
        try store.put(items)
        let query = random.gaussianVector(dimension)
        let before = (try store.nearest(to: query, count: 5), try store.exactNearest(to: query, count: 5))
        let big = (0..<200).map { VectorItem(id: 1000 + UInt64($0), vector: patternVector(id: UInt64($0), dimension: dimension)) }
        #expect(throws: Abandon()) {
            try store.write { txn in
                for id in before.1.map(\.id) { try txn.update(id, vector: query.map { $0 + 100 }) }
                try txn.put(query, for: 500)
                try txn.delete(items[0].id)
                for item in big { try txn.put(item) }
                throw Abandon()
            }
        }
        #expect(try store.nearest(to: query, count: 5) == before.0)
        #expect(try store.exactNearest(to: query, count: 5) == before.1)
        // and the next committed write builds on the committed state only
        try store.put(query.map { $0 + 0.001 }, for: 600)
        #expect(try store.nearest(to: query, count: 1).first?.id == 600)
        #expect(try store.exactNearest(to: query, count: 6).map(\.id) == [600] + before.1.map(\.id))
        #expect(try store.count() == 41)
        #expect(try store.verify().isClean)
    }

    @Test func aWriteBlockReturnsItsValue() throws {
        let store = try temporary.store(dimension: 1)
        let value = try store.write { txn -> Int? in
            try txn.put([1], for: 1)
            return nil
        }
        #expect(value == nil)
        #expect(try store.read { try $0.count() } == 1)
    }

    @Test func aTransactionUsedAfterItsBlockIsRefused() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        let escapedReader = try store.read { $0 }
        let escapedWriter = try store.write { $0 }
        let ended = StoreError.invalidArgument("transaction used after its read or write block ended")
        #expect(throws: ended) { _ = try escapedReader.get(1) }
        #expect(throws: ended) { _ = try escapedReader.count() }
        #expect(throws: ended) { _ = try escapedReader.ids() }
        #expect(throws: ended) { _ = try escapedReader.nearest(to: [1, 2], count: 1) }
        #expect(throws: ended) { try escapedWriter.put([3, 4], for: 2) }
        #expect(throws: ended) { try escapedWriter.delete(1) }
        #expect(throws: ended) { try escapedWriter.setLabel("x", for: 1) }
        #expect(try store.read { try $0.ids() } == [1])
    }
}
