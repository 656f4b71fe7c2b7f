import Foundation
import Testing
@testable import FeatureMemory

/// A vector block that does not parse (format 6) leaves the store usable: new ids are still
/// taken (never into the damaged block), its ids can be deleted — `repair`'s advice — without
/// their nodes being drawn again while the block stays, and once the last of them is gone the
/// block goes and its nodes are reused, the store verifying clean after a repair of its counters.
struct DamagedVectorBlockTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// 384 float32 values: 21 records to a block.
    static let dimension = 384
    static let slots: UInt32 = 21

    func store() throws -> FeatureStore {
        try temporary.store(dimension: Self.dimension, metric: .cosine, hnsw: .cheap, initialMapSize: 1 << 22)
    }

    /// Makes block `key`'s offsets run backwards; its header still names it.
    func damageBlock(_ key: UInt32, of store: FeatureStore) throws {
        try store.write { writer in
            let block = try #require(try key.withKeyBytes { bytes in
                try writer.txn.withValue(in: writer.tables.vectors, forKey: bytes) { Array($0) }
            })
            var damaged = block
            damaged.replaceSubrange((VectorBlock.headerSize + 4)..<(VectorBlock.headerSize + 8), with: [0, 0, 0, 0])
            try key.withKeyBytes { bytes in try damaged.withUnsafeBytes { try writer.txn.put($0, forKey: bytes, in: writer.tables.vectors) } }
        }
    }

    func node(of id: UInt64, in store: FeatureStore) throws -> UInt32? { try store.read { try $0.node(for: id) } }

    func freeNodes(of store: FeatureStore) throws -> Set<UInt32> {
        try store.read { reader in
            var nodes: Set<UInt32> = []
            try reader.txn.withCursor(on: reader.tables.freeNodes) { cursor in
                try cursor.forEach { entry in
                    if let node = UInt32(keyBytes: entry.key) { nodes.insert(node) }
                    return true
                }
            }
            return nodes
        }
    }

    @Test func theIdsOfADamagedBlockCanBeDeletedAndNewIdsStillFindNodes() throws {
        var random = SeededGenerator(seed: 66)
        var model: [UInt64: [Float]] = [:]
        let store = try self.store()
        // 50 ids: nodes 0…49, the last block (42…62) partly used, so new ids would land in it
        for id in 0..<50 as Range<UInt64> { model[id] = random.gaussianVector(Self.dimension) }
        try store.put(model.map { VectorItem(id: $0.key, vector: $0.value) })
        let lastBlock = 42..<63 as Range<UInt32>
        let damagedIDs = try model.keys.filter { id in try node(of: id, in: store).map(lastBlock.contains) ?? false }
        #expect(damagedIDs.count == 8)
        try damageBlock(2, of: store)
        #expect(try Set(store.verify().problems.filter { $0.kind == .corruptVector }.compactMap(\.id)) == Set(damagedIDs))

        // new ids are taken, past the damaged block
        let added: [UInt64] = [100, 101, 102]
        for id in added { model[id] = random.gaussianVector(Self.dimension) }
        try store.put(added.map { VectorItem(id: $0, vector: model[$0]!) })
        for id in added {
            let node = try #require(try node(of: id, in: store))
            #expect(!lastBlock.contains(node), "id \(id) was given node \(node), in the damaged block")
            #expect(try store.get(id).vector == model[id])
        }

        // an id of the damaged block is deleted; its node is not drawn again while the block stays
        let victim = try #require(damagedIDs.first)
        let victimNode = try #require(try node(of: victim, in: store))
        try store.delete(victim)
        model[victim] = nil
        #expect(try !store.contains(victim))
        #expect(try !freeNodes(of: store).contains(victimNode))
        // an id of the block put again goes to a node outside it
        let second = try #require(damagedIDs.dropFirst().first)
        model[second] = random.gaussianVector(Self.dimension)
        try store.put(model[second]!, for: second)
        #expect(try !lastBlock.contains(#require(try node(of: second, in: store))))
        #expect(try store.get(second).vector == model[second])
        try store.put([VectorItem(id: 103, vector: random.gaussianVector(Self.dimension))])
        let node103 = try #require(try node(of: 103, in: store))
        #expect(!lastBlock.contains(node103))
        model[103] = try store.get(103).vector

        // the rest of the block's ids go in one write: the block goes, its nodes become free
        let rest = damagedIDs.filter { $0 != victim && $0 != second }
        try store.delete(rest)
        for id in rest { model[id] = nil }
        #expect(try freeNodes(of: store).isSuperset(of: Set(lastBlock.filter { $0 < 63 })))
        _ = try store.repair()
        let report = try store.verify()
        #expect(report.isClean, "\(report.problems.prefix(3))")

        // the deleted ids put again (into the freed nodes), everything reads as the model says
        for id in rest + [victim] { model[id] = random.gaussianVector(Self.dimension) }
        try store.put((rest + [victim]).map { VectorItem(id: $0, vector: model[$0]!) })
        #expect(try store.count() == model.count)
        for (id, vector) in model { #expect(try store.get(id).vector == vector, "id \(id)") }
        #expect(try store.verify().isClean)
        // each vector its own exact nearest (the `.cheap` graph, m 4, may let an approximate search miss one)
        for (id, vector) in model { #expect(try store.exactNearest(to: vector, count: 1).first?.id == id, "id \(id)") }
    }

    @Test func aFreeNodeInABlockDamagedLaterIsPassedOver() throws {
        var random = SeededGenerator(seed: 67)
        let store = try self.store()
        try store.put((0..<40 as Range<UInt64>).map { VectorItem(id: $0, vector: random.gaussianVector(Self.dimension)) })
        // node of id 3 freed, then its block (0: nodes 0…20) damaged
        let freed = try #require(try node(of: 3, in: store))
        try store.delete(3)
        #expect(try freeNodes(of: store) == [freed])
        try damageBlock(0, of: store)
        // a new id does not take the free node, whose put would be refused
        try store.put([VectorItem(id: 500, vector: random.gaussianVector(Self.dimension))])
        let taken = try #require(try node(of: 500, in: store))
        #expect(taken >= Self.slots)
        #expect(try store.get(500).vector.count == Self.dimension)
    }
}
