import Foundation
import Testing
@testable import FeatureMemory

/// Counters in `meta` are read from the file, so a damaged one may hold any value: it is reported
/// and repaired, and never traps or sizes an allocation.
struct CounterDamageTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    func writeStore() throws -> FeatureStore {
        var random = SeededGenerator(seed: 77)
        let store = try temporary.store(dimension: 16)
        try store.put((0..<20).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(16)) })
        return store
    }

    @Test(arguments: [MetaKey.count, .rawVectorBytes, .storedVectorBytes])
    func aCounterOfTwoToTheSixtyFourMinusOneIsReportedAndRepaired(_ key: MetaKey) throws {
        let store = try writeStore()
        try store.write { try $0.txn.setInteger(UInt64.max, for: key, in: $0.tables.meta) }
        let report = try store.verify()
        #expect(report.problems.map(\.kind) == [.counter])
        #expect(report.problems.first?.message.hasPrefix("\(key.rawValue) is \(UInt64.max);") == true, "\(report.problems)")
        // everything that reads or moves the counter still works
        #expect(try store.count() == 20)
        _ = try store.statistics()
        try store.put([Float](repeating: 0.5, count: 16), for: 100)
        try store.delete(3)
        #expect(try store.repair().correctedCounters == [key.rawValue])
        #expect(try store.verify().isClean)
    }

    @Test func aHugeNextNodeFailsSearchesWithATypedErrorUntilRepaired() throws {
        let store = try writeStore()
        let query = [Float](repeating: 0.25, count: 16)
        try store.write { try $0.txn.setInteger(UInt32.max - 1, for: .nextNode, in: $0.tables.meta) }
        // a second store object (its own caches) on the environment `store` has open
        let reopened = try FeatureStore(at: temporary.storeURL, options: StoreOptions(durability: .noSync, initialMapSize: 1 << 20))
        // the bound the tables set: every slot of every vector block (one slot each when unblocked), none free
        let slots = try reopened.read { try $0.tables.vectorRecordBound(in: $0.txn) }
        #expect(slots >= 20)
        #expect(throws: StoreError.damagedCounter(name: "next_node", value: UInt64(UInt32.max - 1), tablesHold: slots)) {
            try reopened.nearest(to: query, count: 3)
        }
        let report = try reopened.verify()
        #expect(report.problems.map(\.message) == ["next_node is \(UInt32.max - 1); the tables hold 20"])
        #expect(try reopened.repair().correctedCounters == ["next_node"])
        #expect(try reopened.verify().isClean)
        #expect(try reopened.nearest(to: query, count: 3).count == 3)
    }
}
