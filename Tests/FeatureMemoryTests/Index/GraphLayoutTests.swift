import Foundation
import Testing
@testable import FeatureMemory

/// Graph records are written in the layout the store's format allows: narrow ids in a new store,
/// 4-byte ids in a store of format 3 or 4 (which older versions must still read), and a store that
/// holds both reads, verifies and searches as one.
struct GraphLayoutTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 8

    func vectors(_ ids: Range<UInt64>, seed: UInt64) -> [VectorItem] {
        var random = SeededGenerator(seed: seed)
        return ids.map { VectorItem(id: $0, vector: random.gaussianVector(Self.dimension)) }
    }

    /// How many graph records have each layout byte.
    func layouts(of store: FeatureStore) throws -> [UInt8: Int] {
        try store.read { reader in
            var counts: [UInt8: Int] = [:]
            try reader.txn.withCursor(on: reader.tables.graph) { cursor in
                try cursor.forEach { entry in
                    #expect(GraphRecord.isIntact(entry.value))
                    counts[entry.value[0], default: 0] += 1
                    return true
                }
            }
            return counts
        }
    }

    /// Sets the store's recorded format, as an older version would have written it.
    func setFormat(_ format: UInt32) throws {
        let environment = try Environment(directory: temporary.storeURL.path, configuration: .init(initialMapSize: 1 << 20))
        try environment.write { txn throws in
            let meta = try #require(try environment.openTable("meta", create: false, in: txn))
            try txn.setInteger(format, for: .formatVersion, in: meta)
        }
    }

    /// Every stored vector is its own nearest neighbour by graph search.
    func expectEachFindsItself(_ store: FeatureStore, _ items: [VectorItem]) throws {
        var missed: [UInt64] = []
        for item in items where try store.nearest(to: item.vector, count: 1, ef: 64).first?.id != item.id { missed.append(item.id) }
        #expect(missed.isEmpty, "not found: \(missed.prefix(10))")
    }

    @Test func aNewStoreWritesNarrowRecords() throws {
        let store = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        #expect(store.formatVersion == MetaKey.currentFormatVersion)
        let items = vectors(0..<300, seed: 3)
        try store.put(items)
        #expect(try layouts(of: store) == [GraphRecord.narrowLayout: 300])
        #expect(try store.verify().isClean)
        try expectEachFindsItself(store, items)
    }

    @Test(arguments: [UInt32(3), 4])
    func aStoreOfAnOlderFormatKeepsFourByteIds(format: UInt32) throws {
        do { _ = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64)) }
        try setFormat(format)
        let store = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        #expect(store.formatVersion == format)
        let items = vectors(0..<300, seed: 4)
        try store.put(items)
        try store.delete(Array(0..<30))
        #expect(try layouts(of: store) == [GraphRecord.wideLayout: 270])
        #expect(try store.verify().isClean)
        try expectEachFindsItself(store, Array(items[30...]))
    }

    /// A store whose records were written wide, then (format raised) partly rewritten narrow.
    @Test func wideAndNarrowRecordsLiveTogether() throws {
        do { _ = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64)) }
        try setFormat(3)
        let first = vectors(0..<200, seed: 5), second = vectors(200..<210, seed: 6)
        do {
            let store = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64))
            try store.put(first)
        }
        try setFormat(5)
        let store = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        try store.put(second)
        try store.delete(Array(150..<155))
        // the new nodes' records and their neighbours' are rewritten narrow, the rest stay wide
        let counts = try layouts(of: store)
        #expect(counts[GraphRecord.wideLayout, default: 0] > 0 && counts[GraphRecord.narrowLayout, default: 0] >= 10, "\(counts)")
        #expect(counts.values.reduce(0, +) == 205)
        #expect(try store.verify().isClean)
        try expectEachFindsItself(store, first.filter { !(150..<155).contains($0.id) } + second)
        // what a fresh snapshot reads through recorded addresses agrees with the records
        let reopened = try temporary.store(dimension: Self.dimension)
        try expectEachFindsItself(reopened, first.filter { !(150..<155).contains($0.id) } + second)
    }
}
