import Foundation
import Testing
@testable import FeatureMemory

/// Walking ids in order, from any start, and finding ids by label.
struct IterationTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let sparseIDs: [UInt64] = [
        0, 1, 2, 255, 256, 257, 65_535, 65_536, 1 << 31, 1 << 32, (1 << 32) + 1, 1 << 56,
        .max / 2, .max - 256, .max - 1, .max,
    ]

    /// A store holding `sparseIDs` put in a shuffled order, each vector its id's low bits.
    func storeWithSparseIDs() throws -> FeatureStore {
        let store = try temporary.store(dimension: 2)
        var random = SeededGenerator(seed: 31)
        try store.write { txn in
            for id in Self.sparseIDs.shuffled(using: &random) {
                try txn.put([Float(id % 1000), Float(id >> 60)], for: id, label: id.isMultiple(of: 2) ? "even" : "odd")
            }
        }
        return store
    }

    @Test func idsComeInAscendingOrder() throws {
        let store = try storeWithSparseIDs()
        try store.read { txn throws in
            #expect(try txn.ids() == Self.sparseIDs)
            #expect(try txn.count() == Self.sparseIDs.count)
        }
    }

    @Test func forEachVisitsEveryVectorInIDOrder() throws {
        let store = try storeWithSparseIDs()
        var visited: [StoredVector] = []
        try store.read { txn in try txn.forEach { visited.append($0); return true } }
        #expect(visited.map(\.id) == Self.sparseIDs)
        for stored in visited {
            #expect(stored.vector == [Float(stored.id % 1000), Float(stored.id >> 60)])
            #expect(stored.metadata.label == (stored.id.isMultiple(of: 2) ? "even" : "odd"))
        }
    }

    @Test(arguments: [UInt64(0), 3, 256, 1 << 32, .max - 1, .max])
    func iterationStartsAtTheFirstIDAtOrAfterTheStart(start: UInt64) throws {
        let store = try storeWithSparseIDs()
        let expected = Self.sparseIDs.filter { $0 >= start }
        var visited: [UInt64] = []
        try store.read { txn throws in
            #expect(try txn.ids(startingAt: start) == expected)
            try txn.forEach(startingAt: start) { visited.append($0.id); return true }
        }
        #expect(visited == expected)
    }

    @Test func limitAndEarlyStop() throws {
        let store = try storeWithSparseIDs()
        try store.read { txn throws in
            #expect(try txn.ids(limit: 3) == [0, 1, 2])
            #expect(try txn.ids(startingAt: 257, limit: 2) == [257, 65_535])
            #expect(try txn.ids(limit: 0).isEmpty)
            #expect(try txn.ids(limit: -5).isEmpty)
            #expect(try txn.ids(startingAt: .max, limit: 10) == [.max])
            var visited: [UInt64] = []
            try txn.forEach { visited.append($0.id); return visited.count < 4 }
            #expect(visited == [0, 1, 2, 255])
        }
    }

    @Test func pagingThroughAllIDs() throws {
        let store = try storeWithSparseIDs()
        var all: [UInt64] = []
        var start: UInt64? = 0
        while let from = start {
            let page = try store.read { try $0.ids(startingAt: from, limit: 5) }
            all += page
            start = page.count == 5 && page.last! < .max ? page.last! + 1 : nil
        }
        #expect(all == Self.sparseIDs)
    }

    @Test func anEmptyStoreHasNoIDs() throws {
        let store = try temporary.store(dimension: 2)
        var visits = 0
        try store.read { txn throws in
            #expect(try txn.ids().isEmpty)
            try txn.forEach { _ in visits += 1; return true }
            #expect(try txn.ids(withLabel: "x").isEmpty)
        }
        #expect(visits == 0)
    }

    @Test func idsWithLabelAreExactAndAscending() throws {
        let store = try storeWithSparseIDs()
        try store.write { txn in
            try txn.put([0, 0], for: 500, label: "a")
            try txn.put([0, 0], for: 501, label: "ab")
            try txn.put([0, 0], for: 502, label: "b")
            try txn.put([0, 0], for: 499, label: "a")
            try txn.put([0, 0], for: 503, label: "Ä")
            try txn.put([0, 0], for: 504, label: "🐈")
        }
        try store.read { txn throws in
            #expect(try txn.ids(withLabel: "even") == Self.sparseIDs.filter { $0.isMultiple(of: 2) })
            #expect(try txn.ids(withLabel: "odd") == Self.sparseIDs.filter { !$0.isMultiple(of: 2) })
            #expect(try txn.ids(withLabel: "a") == [499, 500])
            #expect(try txn.ids(withLabel: "ab") == [501])
            #expect(try txn.ids(withLabel: "b") == [502])
            #expect(try txn.ids(withLabel: "Ä") == [503])
            #expect(try txn.ids(withLabel: "A").isEmpty)
            #expect(try txn.ids(withLabel: "🐈") == [504])
            #expect(try txn.ids(withLabel: "ev").isEmpty)
            #expect(try txn.ids(withLabel: "zzz").isEmpty)
        }
    }
}
