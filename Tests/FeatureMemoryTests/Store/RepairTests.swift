import Foundation
import Testing
@testable import FeatureMemory

/// `repair()` rebuilds the graph around damage: after it, verify is clean and every intact vector
/// can be found again by a graph search.
struct RepairTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 16
    static let count: UInt64 = 400

    /// A store of `count` random vectors; returns it and the vectors.
    func makeStore() throws -> (FeatureStore, [UInt64: [Float]]) {
        var random = SeededGenerator(seed: 77)
        var vectors: [UInt64: [Float]] = [:]
        for id in 0..<Self.count { vectors[id] = random.gaussianVector(Self.dimension) }
        let store = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        try store.put(vectors.keys.sorted().map { VectorItem(id: $0, vector: vectors[$0]!) })
        #expect(try store.verify().isClean)
        return (store, vectors)
    }

    func node(of id: UInt64, in store: FeatureStore) throws -> UInt32 {
        try #require(try store.read { try $0.node(for: id) })
    }

    /// Changes the graph table directly, as damage on disk would, behind the writer's cache.
    func damageGraph(_ store: FeatureStore, _ change: (Transaction, StoreTables) throws -> Void) throws {
        try store.write { writer in try change(writer.txn, writer.tables) }
        store.writerCache.discardEntries()
    }

    func record(of node: UInt32, in store: FeatureStore) throws -> GraphRecord.Node {
        try #require(try store.read { try $0.mapNodes.decodedNode(node) })
    }

    func putRecord(_ bytes: [UInt8], for node: UInt32, _ txn: Transaction, _ tables: StoreTables) throws {
        try node.withKeyBytes { key in try bytes.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.graph) } }
    }

    /// Every vector's own id is among its 3 nearest by graph search, for all but `allowed` ids.
    func expectFindable(_ store: FeatureStore, _ vectors: [UInt64: [Float]], allowed: Int = 4) throws {
        var missed: [UInt64] = []
        for (id, vector) in vectors where try !store.nearest(to: vector, count: 3, ef: 64).contains(where: { $0.id == id }) {
            missed.append(id)
        }
        #expect(missed.count <= allowed, "not found by graph search: \(missed.sorted())")
    }

    @Test func aCleanStoreIsLeftAsItIs() throws {
        let (store, _) = try makeStore()
        let report = try store.repair()
        #expect(report.changedNothing, "\(report)")
    }

    @Test func damagedGraphRecordsAreRelinkedFromTheirVectors() throws {
        let (store, vectors) = try makeStore()
        let victims: [UInt64] = [3, 50, 51, 52, 199]
        let nodes = try victims.map { try node(of: $0, in: store) }
        try damageGraph(store) { txn, tables in
            for node in nodes {
                var bytes = GraphRecord.encode(try record(of: node, in: store))
                bytes[bytes.count - 2] ^= 0x5A
                try putRecord(bytes, for: node, txn, tables)
            }
        }
        let before = try store.verify()
        for node in nodes { #expect(before.problems.contains { $0.kind == .corruptGraph && $0.node == node }) }

        let report = try store.repair()
        #expect(report.relinkedIDs == victims)
        #expect(report.unrepairableIDs.isEmpty)
        let after = try store.verify()
        #expect(after.isClean, "\(after.problems.prefix(5))")
        try expectFindable(store, vectors)
        // nothing committed was lost
        for (id, vector) in vectors { #expect(try store.get(id).vector == vector) }
    }

    @Test func missingRecordsIncludingTheEntryPointAreRebuilt() throws {
        let (store, vectors) = try makeStore()
        let entry = try #require(try store.read { try $0.mapNodes.entryPoint() })
        let others = try [UInt64(10), 11, 300].map { try node(of: $0, in: store) }
        try damageGraph(store) { txn, tables in
            for node in [entry.node] + others {
                try node.withKeyBytes { key in _ = try txn.delete(key, in: tables.graph) }
            }
        }
        #expect(!(try store.verify().isClean))
        let report = try store.repair()
        #expect(report.relinkedIDs.count == 4)
        #expect(report.resetEntryPoint)
        let after = try store.verify()
        #expect(after.isClean, "\(after.problems.prefix(5))")
        try expectFindable(store, vectors)
        // writes go on as before
        try store.put([Float](repeating: 0.25, count: Self.dimension), for: 9_999)
        #expect(try store.nearest(to: [Float](repeating: 0.25, count: Self.dimension), count: 1).first?.id == 9_999)
        #expect(try store.verify().isClean)
    }

    @Test func linksToMissingNodesAreDroppedAndInLinksRecomputed() throws {
        let (store, vectors) = try makeStore()
        let source = try node(of: 20, in: store)
        let target = try node(of: 21, in: store)
        try damageGraph(store) { txn, tables in
            var damaged = try record(of: source, in: store)
            damaged.out[0].append(987_654)           // a node that never existed
            damaged.in[0].removeAll()                // in-links forgotten
            try putRecord(GraphRecord.encode(damaged), for: source, txn, tables)
            var other = try record(of: target, in: store)
            other.in[0].append(123_456)              // an in-link from nowhere
            try putRecord(GraphRecord.encode(other), for: target, txn, tables)
        }
        let before = try store.verify()
        #expect(before.problems.contains { $0.kind == .danglingLink && $0.node == source })
        #expect(before.problems.contains { $0.kind == .linkMismatch })

        let report = try store.repair()
        #expect(report.droppedLinks == 1)
        #expect(report.rewrittenRecords >= 2)
        #expect(report.relinkedIDs.isEmpty)
        #expect(try store.verify().isClean)
        try expectFindable(store, vectors)
    }

    @Test func anUnreachableGroupIsReconnected() throws {
        let (store, vectors) = try makeStore()
        // cut every layer-0 link into ids 100 and 101, which then link only to each other
        let a = try node(of: 100, in: store), b = try node(of: 101, in: store)
        try damageGraph(store) { txn, tables in
            var all: [UInt32: GraphRecord.Node] = [:]
            try txn.withCursor(on: tables.graph) { cursor in
                try cursor.forEach { entry in
                    all[UInt32(keyBytes: entry.key)!] = GraphRecord.decode(entry.value)
                    return true
                }
            }
            for (node, var record) in all where node != a && node != b {
                for layer in record.out.indices {
                    record.out[layer].removeAll { $0 == a || $0 == b }
                    record.in[layer].removeAll { $0 == a || $0 == b }
                }
                try putRecord(GraphRecord.encode(record), for: node, txn, tables)
            }
            for (node, other) in [(a, b), (b, a)] {
                var record = all[node]!
                for layer in record.out.indices {
                    record.out[layer] = [other]
                    record.in[layer] = [other]
                }
                try putRecord(GraphRecord.encode(record), for: node, txn, tables)
            }
            // neither may be the entry point, or everything else would be unreachable
            if let entry = try txn.integer(.graphEntry, in: tables.meta, as: UInt32.self) { #expect(entry != a && entry != b) }
        }
        let before = try store.verify()
        #expect(before.problems.filter { $0.kind == .unreachable }.compactMap(\.id).sorted() == [100, 101])

        let report = try store.repair()
        #expect(!report.reconnectedIDs.isEmpty)
        #expect(try store.verify().isClean)
        try expectFindable(store, vectors)
        for id: UInt64 in [100, 101] {
            #expect(try store.nearest(to: vectors[id]!, count: 1, ef: 64).first?.id == id)
        }
    }

    @Test func anIDWhoseVectorIsAlsoDamagedIsReportedNotGuessed() throws {
        let (store, _) = try makeStore()
        let victim: UInt64 = 33
        let node = try node(of: victim, in: store)
        try damageGraph(store) { txn, tables in
            try node.withKeyBytes { key in _ = try txn.delete(key, in: tables.graph) }
            _ = try [UInt8](repeating: 7, count: 40).withUnsafeBytes { try tables.putVectorRecord($0, ofNode: node, replacing: true, in: txn) }
        }
        let report = try store.repair()
        #expect(report.unrepairableIDs == [victim])
        let after = try store.verify()
        #expect(!after.isClean)
        #expect(after.problems.allSatisfy { $0.node == node }, "\(after.problems)")
        // deleting the id is the way out, and leaves a clean store
        try store.delete(victim)
        #expect(try store.verify().isClean)
    }

    @Test func wrongCountersAreCorrected() throws {
        let (store, _) = try makeStore()
        try store.write { try $0.txn.setInteger(UInt64(5), for: .count, in: $0.tables.meta) }
        #expect(try store.verify().problems.contains { $0.kind == .counter })
        #expect(try store.repair().correctedCounters == ["count"])
        #expect(try store.verify().isClean)
        #expect(try store.count() == Int(Self.count))
    }
}
