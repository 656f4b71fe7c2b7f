import Foundation
import Testing
@testable import FeatureMemory

/// `FeatureStore.compact(at:renumber:)`: nodes numbered in graph order, everything else as it was,
/// and a store whose records do not all read left as it is.
struct RenumberingTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    func open(_ dimension: Int? = nil) throws -> FeatureStore {
        try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            dimension: dimension, metric: dimension == nil ? nil : .cosine, hnsw: HNSWParameters(m: 8, efConstruction: 48),
            durability: .noSync, initialMapSize: 1 << 22, resultCacheEntries: 0))
    }

    /// Everything a reader can see of a store, by id.
    func snapshot(_ store: FeatureStore) throws -> [UInt64: StoredVector] {
        var all: [UInt64: StoredVector] = [:]
        try store.read { txn in try txn.forEach { all[$0.id] = $0; return true } }
        return all
    }

    /// The ids under each label the history writes.
    func labels(_ store: FeatureStore) throws -> [[UInt64]] {
        try store.read { txn in try (0..<7).map { try txn.ids(withLabel: "l\($0)") } }
    }

    /// Each id's node.
    func nodes(_ store: FeatureStore) throws -> [UInt64: UInt32] {
        try store.read { txn in
            var nodes: [UInt64: UInt32] = [:]
            for id in try txn.ids() { nodes[id] = try txn.node(for: id) }
            return nodes
        }
    }

    /// A store of `dimension` (384 f32: vector blocks; 12: one record a key) written with puts,
    /// upserts, deletes that leave free nodes, labels and user data, against a model.
    func writeHistory(dimension: Int, seed: UInt64) throws -> [UInt64: [Float]] {
        var random = SeededGenerator(seed: seed)
        var model: [UInt64: [Float]] = [:]
        let store = try open(dimension)
        for round in 0..<6 {
            let items = (0..<60).map { _ in
                let id = random.next() % 300
                return VectorItem(id: id, vector: random.gaussianVector(dimension), label: id % 3 == 0 ? "l\(id % 7)" : nil,
                                  userData: id % 5 == 0 ? Data("u\(id)-\(round)".utf8) : nil)
            }
            try store.put(items)
            for item in items { model[item.id] = item.vector }
            let doomed = model.keys.sorted().filter { _ in random.next() % 6 == 0 }
            try store.delete(doomed)
            for id in doomed { model[id] = nil }
        }
        return model
    }

    @Test(arguments: [384, 12])
    func aRenumberedStoreHoldsTheSameVectorsMetadataLabelsAndAnswers(dimension: Int) throws {
        let model = try writeHistory(dimension: dimension, seed: UInt64(dimension))
        var random = SeededGenerator(seed: 9)
        let queries = (0..<20).map { _ in random.gaussianVector(dimension) }
        let (before, answers, labelled, freeBefore) = try {
            let store = try open()
            let answers = try queries.map { try store.nearest(to: $0, count: 10, ef: 64) }
            let labelled = try labels(store)
            let free = try store.read { try $0.txn.statistics(of: $0.tables.freeNodes).entries }
            return (try snapshot(store), answers, labelled, free)
        }()
        #expect(before.mapValues { $0.vector } == model)
        #expect(freeBefore > 0, "the history should leave free nodes for the renumbering to close")

        let report = try FeatureStore.compact(at: temporary.storeURL)
        #expect(report.renumbered && report.notRenumbered == nil, "\(report)")
        let store = try open()
        #expect(try snapshot(store) == before)
        #expect(try labels(store) == labelled)
        // the same graph under new numbers: the same answers, in the same order
        #expect(try queries.map { try store.nearest(to: $0, count: 10, ef: 64) } == answers)
        #expect(try store.verify().isClean)
        // nodes are dense from 0, the entry point first, nothing free
        let (free, next, entry) = try store.read { txn in
            (try txn.txn.statistics(of: txn.tables.freeNodes).entries, try txn.txn.integer(.nextNode, in: txn.tables.meta, as: UInt32.self),
             try txn.txn.integer(.graphEntry, in: txn.tables.meta, as: UInt32.self))
        }
        #expect(free == 0 && next == UInt32(model.count) && entry == 0)
        #expect(try Set(nodes(store).values) == Set(0..<UInt32(model.count)))

        // the store goes on: new ids get new nodes, deletes free them, everything verifies
        var after = model
        try store.put([VectorItem(id: 1_000, vector: random.gaussianVector(dimension))])
        after[1_000] = try store.get(1_000).vector
        let gone = try #require(model.keys.sorted().first)
        try store.delete(gone)
        after[gone] = nil
        let changed = try #require(model.keys.sorted().last)
        after[changed] = random.gaussianVector(dimension)
        try store.update(changed, vector: after[changed]!)
        #expect(try snapshot(store).mapValues { $0.vector } == after)
        #expect(try store.verify().isClean)
    }

    @Test func renumberingTwiceChangesNoNode() throws {
        _ = try writeHistory(dimension: 12, seed: 5)
        _ = try FeatureStore.compact(at: temporary.storeURL)
        let first = try nodes(open())
        #expect(first.count > 100)
        #expect(try FeatureStore.compact(at: temporary.storeURL).renumbered)
        #expect(try nodes(open()) == first)
    }

    @Test func anEmptyStoreIsCompactedWithoutAWordAboutNumbers() throws {
        do {
            let store = try open(8)
            try store.put([VectorItem(id: 1, vector: Array(repeating: 1, count: 8))])
            try store.delete(1)
        }
        let report = try FeatureStore.compact(at: temporary.storeURL)
        #expect(!report.renumbered && report.notRenumbered == nil, "\(report)")
        #expect(try open().count() == 0)
    }

    @Test func aStoreWithADamagedGraphRecordIsCopiedAsItIs() throws {
        _ = try writeHistory(dimension: 12, seed: 6)
        let problemsBefore: [VerificationProblem]
        let nodesBefore: [UInt64: UInt32]
        do {
            let store = try open()
            let victim = try #require(try store.read { try $0.node(for: $0.ids().first!) })
            try store.write { writer in
                try victim.withKeyBytes { key in try [UInt8](repeating: 7, count: 40).withUnsafeBytes { try writer.txn.put($0, forKey: key, in: writer.tables.graph) } }
            }
            problemsBefore = try store.verify().problems
            nodesBefore = try nodes(store)
        }
        #expect(!problemsBefore.isEmpty)
        let report = try FeatureStore.compact(at: temporary.storeURL)
        #expect(!report.renumbered)
        #expect(report.notRenumbered?.contains("graph record") == true, "\(report)")
        let store = try open()
        #expect(try store.verify().problems.map(\.message) == problemsBefore.map(\.message))
        #expect(try nodes(store) == nodesBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.storeURL.path).sorted() == ["data.mdb", "lock.mdb"])
    }

    @Test func aScratchDirectoryWhoseOwnerIsGoneIsRemovedAndALiveOneIsNot() throws {
        _ = try writeHistory(dimension: 12, seed: 7)
        let path = temporary.storeURL.path
        let abandoned = path + "/" + ScratchEnvironmentDirectory.prefix + "left-by-a-killed-process"
        try FileManager.default.createDirectory(atPath: abandoned, withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: abandoned + "/data.mdb", contents: Data(count: 4096))
        let live = try ScratchEnvironmentDirectory(in: path, purpose: "test")
        #expect(try FeatureStore.compact(at: temporary.storeURL).renumbered)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: live.path))
        live.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == ["data.mdb", "lock.mdb"])
        #expect(try open().verify().isClean)
    }
}
