import Foundation
import Testing
@testable import FeatureMemory

/// Removing ids: everything stored with them goes, nothing else does.
struct DeleteTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func deleteRemovesTheVectorItsMetadataAndItsLabel() throws {
        let store = try temporary.store(dimension: 8)
        var random = SeededGenerator(seed: 1)
        let kept = random.compressibleVector(8)
        try store.put(random.gaussianVector(8), for: 1, label: "shared", userData: Data([1]))
        try store.put(kept, for: 2, label: "shared")
        try store.delete(1)
        #expect(try store.contains(1) == false)
        #expect(throws: StoreError.unknownID(1)) { try store.get(1) }
        #expect(try store.count() == 1)
        try store.read { txn throws in
            #expect(try txn.ids() == [2])
            #expect(try txn.ids(withLabel: "shared") == [2])
            #expect(try txn.nearest(to: kept, count: 5).map(\.id) == [2])
        }
        #expect(try store.get(2).vector.bitPatterns == kept.bitPatterns)
        let statistics = try store.statistics()
        #expect(statistics.rawVectorBytes == 32)
        #expect(statistics.tables.first { $0.name == "vectors" }?.entries == 1)
        #expect(statistics.tables.first { $0.name == "patterns" }?.entries == 1)
        #expect(statistics.tables.first { $0.name == "keys" }?.entries == 1)
        #expect(statistics.tables.first { $0.name == "labels" }?.entries == 1)
    }

    @Test func deletingEverythingLeavesAnEmptyStore() throws {
        let store = try temporary.store(dimension: 2)
        for id in UInt64(0)..<10 { try store.put([Float(id), 1], for: id, label: "l\(id % 3)") }
        for id in UInt64(0)..<10 { try store.delete(id) }
        #expect(try store.count() == 0)
        let statistics = try store.statistics()
        #expect(statistics.rawVectorBytes == 0)
        #expect(statistics.storedVectorBytes == 0)
        for name in ["keys", "vectors", "patterns", "labels"] {
            #expect(statistics.tables.first { $0.name == name }?.entries == 0, "\(name)")
        }
        #expect(try store.nearest(to: [1, 1], count: 3).isEmpty)
    }

    @Test func deleteOfAnUnknownIDIsRefusedAndChangesNothing() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        let before = try StoreContents(of: store)
        #expect(throws: StoreError.unknownID(7)) { try store.delete(7) }
        try store.delete(1)
        #expect(throws: StoreError.unknownID(1)) { try store.delete(1) }
        #expect(before.count == 1)
        #expect(try store.count() == 0)
    }

    @Test func anIDPutAgainAfterDeleteStartsAfresh() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1, label: "a", userData: Data([1]))
        try store.write { try $0.setSupport(9, confidence: 0.1, for: 1) }
        try store.delete(1)
        try store.put([3, 4], for: 1)
        let stored = try store.get(1)
        #expect(stored.vector == [3, 4])
        #expect(stored.metadata.label == nil)
        #expect(stored.metadata.userData == nil)
        #expect(stored.metadata.support == 1)
        #expect(stored.metadata.confidence == 1)
        #expect(try store.read { try $0.ids(withLabel: "a") }.isEmpty)
    }

    @Test func deleteAndPutInOneTransaction() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 1], for: 1)
        try store.put([2, 2], for: 2)
        try store.write { txn throws in
            try txn.delete(1)
            try txn.put([3, 3], for: 3)      // may take node 1's freed slot
            try txn.delete(2)
            try txn.put([1, 1], for: 1)
        }
        #expect(try store.read { try $0.ids() } == [1, 3])
        #expect(try store.get(3).vector == [3, 3])
        #expect(try store.get(1).vector == [1, 1])
    }
}
