import Foundation
import Testing
@testable import FeatureMemory

/// Freed node ids are reused, so churn does not grow the store's tables or counters.
struct NodeReuseTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    func nextNode(_ store: FeatureStore) throws -> UInt32 {
        try store.read { try $0.txn.integer(.nextNode, in: $0.tables.meta, as: UInt32.self) ?? 0 }
    }

    func table(_ name: String, _ statistics: StoreStatistics) -> Int {
        statistics.tables.first { $0.name == name }?.entries ?? -1
    }

    @Test func deleteAndReinsertChurnKeepsNodeIDsAndTablesBounded() throws {
        // one record per key at 31 float32 values, so the vectors table counts one entry per live id
        let dimension = 31
        let live = 40
        let store = try temporary.store(dimension: dimension)
        var random = SeededGenerator(seed: 8)
        var ids = Set(UInt64(0)..<UInt64(live))
        try store.put(ids.sorted().map { VectorItem(id: $0, vector: random.gaussianVector(dimension), label: "l\($0 % 4)") })
        var nextID = UInt64(live)
        for round in 0..<30 {
            let victims = Array(ids.sorted().shuffled(using: &random).prefix(10))
            if round.isMultiple(of: 2) {
                try store.delete(victims)
            } else {
                for victim in victims { try store.delete(victim) }
            }
            ids.subtract(victims)
            // the body may run again when the map grows: prepare everything outside it
            let newcomers = (0..<10).map { offset in
                let id = nextID + UInt64(offset)
                return VectorItem(
                    id: id, vector: id.isMultiple(of: 3) ? random.compressibleVector(dimension) : random.gaussianVector(dimension),
                    label: "l\(id % 4)")
            }
            nextID += 10
            try store.write { txn in
                for item in newcomers { try txn.put(item) }
            }
            ids.formUnion(newcomers.map(\.id))
            let statistics = try store.statistics()
            #expect(statistics.count == live)
            #expect(table("vectors", statistics) == live)
            #expect(table("patterns", statistics) == live)
            #expect(table("keys", statistics) == live)
            #expect(table("labels", statistics) == live)
            #expect(table("free_nodes", statistics) == 0)
            #expect(table("graph", statistics) == live)
            #expect(statistics.rawVectorBytes == live * dimension * 4)
        }
        #expect(try nextNode(store) == UInt32(live))
        #expect(try store.read { try $0.ids() } == ids.sorted())
        // the stored-bytes counter still equals the payloads actually stored
        let payloads = try store.read { reader in
            var sum = 0
            try reader.tables.forEachVectorRecord(in: reader.txn) { _, record in sum += record.count - VectorRecord.headerSize; return true }
            return sum
        }
        #expect(try store.statistics().storedVectorBytes == payloads)
        #expect(try store.verify().isClean)
    }

    @Test func freedNodesWaitInTheFreeListUntilReused() throws {
        let store = try temporary.store(dimension: 2)
        try store.put((0..<5).map { VectorItem(id: UInt64($0), vector: [Float($0), 0]) })
        try store.delete([1, 3])
        var statistics = try store.statistics()
        #expect(table("free_nodes", statistics) == 2)
        #expect(table("vectors", statistics) == 3)
        try store.put([9, 9], for: 100)
        try store.put([8, 8], for: 101)
        try store.put([7, 7], for: 102)
        statistics = try store.statistics()
        #expect(table("free_nodes", statistics) == 0)
        #expect(try nextNode(store) == 6)
        #expect(try store.get(100).vector == [9, 9])
        #expect(try store.get(101).vector == [8, 8])
        #expect(try store.get(102).vector == [7, 7])
        #expect(try store.read { try $0.ids() } == [0, 2, 4, 100, 101, 102])
    }
}
