import Foundation
import Testing
@testable import FeatureMemory

/// What is committed is there after the store is closed and opened again.
struct PersistenceTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test(arguments: Metric.allCases, [Durability.full, .noSync])
    func everythingCommittedIsThereAfterReopening(metric: Metric, durability: Durability) throws {
        let dimension = 20
        var random = SeededGenerator(seed: 55)
        var expected: [UInt64: (vector: [Float], kind: RecordKind)] = [:]
        for (index, kind) in RecordKind.all.enumerated() {
            expected[UInt64(index) * 1_000_003] = (kind.vector(dimension, using: &random), kind)
        }
        let before: StoreContents
        do {
            let store = try temporary.store(dimension: dimension, metric: metric, durability: durability)
            try store.write { txn in
                for (id, item) in expected { try txn.put(item.vector, for: id, label: item.kind.label, userData: item.kind.userData) }
            }
            try store.write { txn in
                try txn.setSupport(4, confidence: 0.25, for: 0)
                try txn.put([Float](repeating: 1, count: dimension), for: .max, label: "extra")
                try txn.delete(.max)
            }
            before = try StoreContents(of: store)
        }
        let store = try FeatureStore(at: temporary.storeURL, options: StoreOptions(createIfMissing: false))
        #expect(!store.wasCreated)
        #expect(store.dimension == dimension)
        #expect(store.metric == metric)
        #expect(try StoreContents(of: store) == before)
        #expect(try store.count() == expected.count)
        for (id, item) in expected {
            let stored = try store.get(id)
            #expect(stored.vector.bitPatterns == item.vector.bitPatterns)
            #expect(stored.metadata.label == item.kind.label)
            #expect(stored.metadata.userData == item.kind.userData)
        }
        #expect(try store.get(0).metadata.support == 4)
        #expect(try store.contains(.max) == false)
        #expect(try store.read { try $0.ids(withLabel: "dog") }.count == 6)
        #expect(try store.verify().isClean)
        // and it keeps working
        try store.put([Float](repeating: 2, count: dimension), for: 1)
        #expect(try store.count() == expected.count + 1)
    }

    @Test func aRolledBackWriteIsNotThereAfterReopening() throws {
        struct Abandon: Error {}
        do {
            let store = try temporary.store(dimension: 2, durability: .full)
            try store.put([1, 1], for: 1)
            _ = try? store.write { txn in
                try txn.put([2, 2], for: 2)
                throw Abandon()
            }
        }
        let store = try temporary.store(dimension: nil, metric: nil)
        #expect(try store.read { try $0.ids() } == [1])
    }

    @Test func closingHappensWhenTheLastStoreObjectGoes() throws {
        var first: FeatureStore? = try temporary.store(dimension: 2)
        weak let environment = first?.environment
        var second: FeatureStore? = try temporary.store(dimension: 2)
        try first?.put([1, 2], for: 1)
        first = nil
        #expect(environment != nil)
        #expect(try second?.get(1).vector == [1, 2])
        second = nil
        #expect(environment == nil)
        #expect(try temporary.store(dimension: 2).get(1).vector == [1, 2])
    }
}
