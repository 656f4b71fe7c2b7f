import Foundation
import Testing
@testable import FeatureMemory

/// Changing what an id holds: its vector, label, user data, support and confidence.
struct UpdateTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func updateReplacesTheVectorAndKeepsTheMetadata() throws {
        let store = try temporary.store(dimension: 16)
        var random = SeededGenerator(seed: 5)
        try store.put(random.incompressibleVector(16), for: 1, label: "l", userData: Data([4]))
        let before = try store.get(1).metadata
        let compressed = random.compressibleVector(16)
        try store.update(1, vector: compressed)
        let after = try store.get(1)
        #expect(after.vector.bitPatterns == compressed.bitPatterns)
        #expect(after.metadata.label == "l")
        #expect(after.metadata.userData == Data([4]))
        #expect(after.metadata.creationDate == before.creationDate)
        #expect(after.metadata.modificationDate >= before.modificationDate)
        #expect(try store.count() == 1)
        let statistics = try store.statistics()
        #expect(statistics.rawVectorBytes == 64)
        #expect(statistics.storedVectorBytes < 64)
    }

    @Test func updateOfAnUnknownIDIsRefused() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        let before = try StoreContents(of: store)
        #expect(throws: StoreError.unknownID(7)) { try store.update(7, vector: [1, 1]) }
        #expect(try StoreContents(of: store) == before)
    }

    @Test func setLabelSetsChangesAndRemovesTheLabel() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        try store.put([1, 2], for: 2, label: "b")
        try store.write { try $0.setLabel("a", for: 1) }
        try store.read { txn throws in
            #expect(try txn.metadata(for: 1).label == "a")
            #expect(try txn.ids(withLabel: "a") == [1])
        }
        try store.write { try $0.setLabel("b", for: 1) }
        try store.read { txn throws in
            #expect(try txn.ids(withLabel: "a").isEmpty)
            #expect(try txn.ids(withLabel: "b") == [1, 2])
        }
        try store.write { try $0.setLabel(nil, for: 1) }
        try store.read { txn throws in
            #expect(try txn.metadata(for: 1).label == nil)
            #expect(try txn.ids(withLabel: "b") == [2])
        }
        // setting the label it already has changes nothing but the time
        try store.write { try $0.setLabel("b", for: 2) }
        #expect(try store.read { try $0.ids(withLabel: "b") } == [2])
        #expect(try store.get(1).vector == [1, 2])
    }

    @Test func setUserDataSetsAndRemovesTheData() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1, label: "x")
        let created = try store.get(1).metadata.creationDate
        try store.write { try $0.setUserData(Data("hello".utf8), for: 1) }
        #expect(try store.get(1).metadata.userData == Data("hello".utf8))
        try store.write { try $0.setUserData(Data(), for: 1) }
        #expect(try store.get(1).metadata.userData == nil)
        try store.write { try $0.setUserData(Data([1]), for: 1) }
        try store.write { try $0.setUserData(nil, for: 1) }
        let stored = try store.get(1)
        #expect(stored.metadata.userData == nil)
        #expect(stored.metadata.label == "x")
        #expect(stored.metadata.creationDate == created)
    }

    @Test func setSupportSetsSupportAndConfidence() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        try store.write { try $0.setSupport(12, confidence: 0.75, for: 1) }
        let metadata = try store.get(1).metadata
        #expect(metadata.support == 12)
        #expect(metadata.confidence == 0.75)
    }

    @Test(arguments: [Float(-0.1), 1.5, .nan, .infinity])
    func setSupportRefusesAConfidenceOutside0To1(confidence: Float) throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        let before = try StoreContents(of: store)
        #expect(throws: StoreError.invalidArgument("confidence must be within 0…1, got \(confidence)")) {
            try store.write { try $0.setSupport(2, confidence: confidence, for: 1) }
        }
        #expect(try StoreContents(of: store) == before)
    }

    @Test func metadataChangesOfAnUnknownIDAreRefused() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 2], for: 1)
        let before = try StoreContents(of: store)
        #expect(throws: StoreError.unknownID(7)) { try store.write { try $0.setLabel("a", for: 7) } }
        #expect(throws: StoreError.unknownID(7)) { try store.write { try $0.setLabel(nil, for: 7) } }
        #expect(throws: StoreError.unknownID(7)) { try store.write { try $0.setUserData(Data([1]), for: 7) } }
        #expect(throws: StoreError.unknownID(7)) { try store.write { try $0.setSupport(1, confidence: 1, for: 7) } }
        #expect(try StoreContents(of: store) == before)
    }
}
