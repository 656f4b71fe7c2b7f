import Foundation
import Testing
@testable import FeatureMemory

/// Stores whose vector records share keys (`VectorBlock`): every write against a reference model,
/// a damaged block reported and refused, and stores of one record per key still read.
struct VectorBlockStoreTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// 384 float32 values: records of 1,552 bytes, 21 to a block.
    static let dimension = 384

    func store() throws -> FeatureStore {
        try temporary.store(dimension: Self.dimension, metric: .cosine, hnsw: .cheap, initialMapSize: 1 << 22)
    }

    func expectHolds(_ store: FeatureStore, _ model: [UInt64: [Float]], _ context: String) throws {
        #expect(try store.count() == model.count, "\(context)")
        for (id, vector) in model {
            #expect(try store.get(id).vector == vector, "\(context): id \(id)")
        }
        let report = try store.verify()
        #expect(report.isClean, "\(context): \(report.problems.prefix(3))")
    }

    @Test func putsUpsertsDuplicatesAndDeletesMatchAModel() throws {
        var random = SeededGenerator(seed: 61)
        var model: [UInt64: [Float]] = [:]
        var store: FeatureStore? = try self.store()
        #expect(try store!.read { $0.tables.vectorSlots } == 21)
        for round in 0..<12 {
            let current = try #require(store)
            // a batch with ids new and old, some twice (the last wins)
            var items: [VectorItem] = []
            for _ in 0..<(5 + Int(random.next() % 40)) {
                let id = random.next() % 150
                let vector = random.gaussianVector(Self.dimension)
                items.append(VectorItem(id: id, vector: vector))
            }
            try current.put(items)
            for item in items { model[item.id] = item.vector }
            // sorted: a dictionary's order changes from process to process, and the test must not
            let doomed = model.keys.sorted().filter { _ in random.next() % 5 == 0 }
            try current.delete(Array(doomed))
            for id in doomed { model[id] = nil }
            if let id = model.keys.min() {
                let vector = random.gaussianVector(Self.dimension)
                try current.update(id, vector: vector)
                model[id] = vector
            }
            try expectHolds(current, model, "round \(round)")
            if round % 4 == 3 {
                store = nil
                store = try self.store()
                try expectHolds(store!, model, "reopened after round \(round)")
            }
        }
        // fewer entries than records: blocks are in use, and nothing is found twice or missed
        let finalStore = try #require(store)
        let statistics = try finalStore.statistics()
        let entries = try #require(statistics.tables.first { $0.name == "vectors" }?.entries)
        #expect(entries < model.count)
        // every live vector is its own exact nearest: each block slot maps to its own id. (The
        // graph is `.cheap`, m 4, so an approximate search may miss one; what it returns must
        // still be live ids, each once.)
        for (id, vector) in model.sorted(by: { $0.key < $1.key }) {
            let exact = try finalStore.exactNearest(to: vector, count: 2)
            #expect(exact.first?.id == id && exact.first.map { $0.distance < 1e-5 } == true, "id \(id): \(exact)")
            let approximate = try finalStore.nearest(to: vector, count: 10, ef: 64).map(\.id)
            #expect(Set(approximate).count == approximate.count && approximate.allSatisfy { model[$0] != nil })
        }
        // deleting everything leaves no block behind
        try finalStore.delete(Array(model.keys))
        #expect(try finalStore.statistics().tables.first { $0.name == "vectors" }?.entries == 0)
        #expect(try finalStore.verify().isClean)
    }

    @Test func aDamagedBlockIsReportedAndRefusedWhileTheOthersStayReadable() throws {
        var random = SeededGenerator(seed: 62)
        let store = try self.store()
        let vectors = (0..<60).map { _ in random.gaussianVector(Self.dimension) }
        try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        let inFirstBlock = try (0..<60).map(UInt64.init).filter { id in try store.read { try $0.node(for: id) }! < 21 }
        #expect(inFirstBlock.count == 21)
        // block 0's offsets made to run backwards: its header still names it
        try store.write { writer in
            let block = try #require(try UInt32(0).withKeyBytes { key in
                try writer.txn.withValue(in: writer.tables.vectors, forKey: key) { Array($0) }
            })
            var damaged = block
            damaged.replaceSubrange((VectorBlock.headerSize + 4)..<(VectorBlock.headerSize + 8), with: [0, 0, 0, 0])
            try UInt32(0).withKeyBytes { key in try damaged.withUnsafeBytes { try writer.txn.put($0, forKey: key, in: writer.tables.vectors) } }
        }
        let report = try store.verify()
        let corrupt = Set(report.problems.filter { $0.kind == .corruptVector }.compactMap(\.id))
        #expect(corrupt == Set(inFirstBlock), "\(report.problems.prefix(3))")
        // besides the records, only the byte counters, which cannot count what cannot be read
        #expect(Set(report.problems.filter { $0.kind != .corruptVector }.map(\.kind)).isSubset(of: [.counter]))
        let victim = try #require(inFirstBlock.first)
        #expect(throws: StoreError.self) { try store.get(victim) }
        // an update of a vector in the damaged block is refused and changes nothing; a put
        // stores the id again under a node outside the block
        let countBefore = try store.count()
        #expect(throws: StoreError.self) { try store.update(victim, vector: random.gaussianVector(Self.dimension)) }
        #expect(try store.count() == countBefore)
        let again = random.gaussianVector(Self.dimension)
        try store.put(again, for: victim)
        #expect(try store.count() == countBefore)
        #expect(try store.get(victim).vector == again)
        #expect(try #require(try store.read { try $0.node(for: victim) }) >= 21)
        let stillCorrupt = try store.verify().problems.filter { $0.kind == .corruptVector }.compactMap(\.id)
        #expect(Set(stillCorrupt) == Set(inFirstBlock).subtracting([victim]))
        // every other vector reads as written, and searches skip nothing but the block
        for id in (0..<60).map(UInt64.init) where !inFirstBlock.contains(id) {
            #expect(try store.get(id).vector == vectors[Int(id)])
        }
        let exact = try store.read { try $0.exactNearest(to: vectors[59], count: 5) }
        #expect(exact.first?.id == 59)
        #expect(exact.allSatisfy { !inFirstBlock.contains($0.id) || $0.id == victim })
    }

    @Test func aFileEndingBeforeFreePagesLMDBNeverWroteOpensAndVerifies() throws {
        var random = SeededGenerator(seed: 64)
        let path = temporary.storeURL.appendingPathComponent("data.mdb").path
        var model: [UInt64: [Float]] = [:]
        var short = false
        do {
            let store = try self.store()
            // each transaction grows blocks record by record: a longer block takes a new overflow
            // run and frees the one written moments before, which LMDB never writes to the file
            for _ in 0..<60 where !short {
                let items = (0..<30).map { _ in VectorItem(id: UInt64(model.count) + random.next() % 1_000_000, vector: random.gaussianVector(Self.dimension)) }
                try store.put(items)
                for item in items { model[item.id] = item.vector }
                let file = try #require(try DataFile(path: path))
                short = (Int(file.lastPage) + 1) * file.pageSize > file.size
            }
        }
        try #require(short, "no transaction left free pages past the end of the file")
        // the check every opening makes accepts it, and the store reads and verifies whole
        try DataFile.checkBeforeOpening(path: path)
        do {
            let reopened = try self.store()
            try expectHolds(reopened, model, "short file")
        }
        // a file that lacks a page in use is still refused (closed first: its map would fault)
        let file = try #require(try DataFile(path: path))
        #expect(truncate(path, off_t(file.pageSize * 3)) == 0)
        #expect(throws: StoreError.self) { try DataFile.checkBeforeOpening(path: path) }
    }

    @Test func aStoreOfOneRecordPerKeyStillReadsAndWrites() throws {
        // a store as format 5 wrote it: no `vectors_per_block`, every record under its node
        do {
            let store = try self.store()
            try store.write { writer in
                try writer.txn.delete(.vectorsPerBlock, in: writer.tables.meta)
                try writer.txn.setInteger(UInt32(5), for: .formatVersion, in: writer.tables.meta)
            }
        }
        var random = SeededGenerator(seed: 63)
        var model: [UInt64: [Float]] = [:]
        let store = try self.store()
        #expect(store.formatVersion == 5)
        #expect(try store.read { $0.tables.vectorSlots } == 1)
        for id in 0..<40 as Range<UInt64> { model[id] = random.gaussianVector(Self.dimension) }
        try store.put(model.map { VectorItem(id: $0.key, vector: $0.value) })
        try store.delete([3, 4])
        model[3] = nil
        model[4] = nil
        try expectHolds(store, model, "format 5")
        #expect(try store.statistics().tables.first { $0.name == "vectors" }?.entries == model.count)
    }
}
