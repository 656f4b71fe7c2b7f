import Foundation
import Testing
@testable import FeatureMemory

/// The map grows on demand from a tiny start, in many small transactions and in one big one,
/// and stops at its cap with a typed error that loses nothing committed.
struct MapGrowthTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 4_096        // 16 KiB per vector: few vectors, many bytes
    static let initialMapSize = 1 << 16 // 64 KiB

    /// The vector stored under `id`: cheap to make and to check, incompressible.
    static func vector(for id: UInt64) -> [Float] {
        patternVector(id: id, dimension: dimension)
    }

    static func items(_ ids: Range<UInt64>) -> [VectorItem] {
        ids.map { VectorItem(id: $0, vector: vector(for: $0)) }
    }

    func expectAllReadable(_ store: FeatureStore, ids: Range<UInt64>) throws {
        var mismatches = 0
        var seen: [UInt64] = []
        try store.read { txn in
            try txn.forEach { stored in
                seen.append(stored.id)
                if stored.vector != Self.vector(for: stored.id) { mismatches += 1 }
                return true
            }
        }
        #expect(seen == Array(ids))
        #expect(mismatches == 0)
    }

    /// From 64 KiB to 20 MiB of vectors: 12 MiB in one write block (which runs again each time
    /// the map grows), then 8 MiB in eight transactions; everything reads back, also after reopening.
    @Test func theMapGrowsInsideOneBigTransactionAndAcrossManyTransactions() throws {
        let inOneBlock: UInt64 = 768, total: UInt64 = 1_280     // 16 KiB vectors: 12 MiB, then 20 MiB
        do {
            let store = try temporary.store(dimension: Self.dimension, hnsw: .cheap, initialMapSize: Self.initialMapSize)
            #expect(try store.statistics().mapBytes == Self.initialMapSize)
            let items = Self.items(0..<inOneBlock)
            try store.write { txn in
                for item in items { try txn.put(item) }
            }
            #expect(try store.count() == Int(inOneBlock))
            #expect(try store.statistics().mapBytes >= 12 << 20)
            try expectAllReadable(store, ids: 0..<inOneBlock)

            for start in stride(from: inOneBlock, to: total, by: 64) {
                try store.put(Self.items(start..<(start + 64)))
            }
            let statistics = try store.statistics()
            #expect(statistics.count == Int(total))
            #expect(statistics.usedBytes > 20 << 20)
            #expect(statistics.mapBytes >= statistics.usedBytes)
            try expectAllReadable(store, ids: 0..<total)
        }
        // reopened with the same small initial size, the map is at least the file
        let store = try temporary.store(dimension: Self.dimension, hnsw: .cheap, initialMapSize: Self.initialMapSize)
        #expect(try store.statistics().mapBytes >= 20 << 20)
        try expectAllReadable(store, ids: 0..<total)
        try store.put(Self.items(total..<(total + 4)))
        #expect(try store.count() == Int(total) + 4)
    }

    /// The write contract `FeatureStore.write` documents: a block that fills the map runs again
    /// from the start after each doubling; only the last run commits, and its value is returned.
    @Test func aWriteBlockRunsAgainAfterEachGrowthAndOnlyItsLastRunCommits() throws {
        let store = try temporary.store(dimension: Self.dimension, hnsw: .cheap, initialMapSize: Self.initialMapSize)
        let items = Self.items(0..<64)                                  // 1 MiB from a 64 KiB map
        var runs = 0
        let returned = try store.write { txn -> Int in
            runs += 1
            // what a rolled-back run wrote is gone: each run starts from the last commit
            #expect(try txn.ids(limit: 1).isEmpty)
            for item in items { try txn.put(item) }
            return runs
        }
        #expect(runs > 1)
        #expect(returned == runs)
        #expect(try store.count() == items.count)
        try expectAllReadable(store, ids: 0..<64)
    }

    @Test func singleTransactionsGrowTheMapToo() throws {
        let store = try temporary.store(dimension: Self.dimension, hnsw: .cheap, initialMapSize: Self.initialMapSize)
        for id in UInt64(0)..<40 { try store.put(Self.vector(for: id), for: id) }
        try expectAllReadable(store, ids: 0..<40)
        #expect(try store.statistics().mapBytes >= 40 * Self.dimension * 4)
    }

    @Test func writingPastTheCapThrowsAndKeepsEveryEarlierCommit() throws {
        let cap = 1 << 20
        let batch: UInt64 = 4                   // 64 KiB per transaction
        var committed: UInt64 = 0
        do {
            let store = try temporary.store(dimension: Self.dimension, hnsw: .cheap, mapSizeCap: cap, initialMapSize: Self.initialMapSize)
            var failure: Error?
            while failure == nil && committed < 1_000 {
                do {
                    try store.put(Self.items(committed..<(committed + batch)))
                    committed += batch
                } catch {
                    failure = error
                }
            }
            #expect(failure as? StoreError == .mapSizeCapReached(cap: cap))
            #expect(committed > 0 && committed < 64)
            // nothing of the failed transaction is visible; everything before it is
            try expectAllReadable(store, ids: 0..<committed)
            #expect(try store.contains(committed) == false)
            let statistics = try store.statistics()
            #expect(statistics.mapBytes == cap)
            #expect(statistics.count == Int(committed))
            // a single put that fits still fails the same way once the map is full, never partly
            #expect(throws: StoreError.mapSizeCapReached(cap: cap)) {
                try store.put(Self.items(committed..<(committed + 2 * batch)))
            }
            try expectAllReadable(store, ids: 0..<committed)
        }
        // reopened with a larger cap, writing goes on
        let store = try temporary.store(dimension: Self.dimension, mapSizeCap: 4 << 20, initialMapSize: Self.initialMapSize)
        try expectAllReadable(store, ids: 0..<committed)
        try store.put(Self.items(committed..<(committed + 4 * batch)))
        try expectAllReadable(store, ids: 0..<(committed + 4 * batch))
        #expect(try store.statistics().mapBytes <= 4 << 20)
    }

    @Test func oneTransactionLargerThanTheCapThrowsAndLeavesNothing() throws {
        let cap = 1 << 20
        let store = try temporary.store(dimension: Self.dimension, hnsw: .cheap, mapSizeCap: cap, initialMapSize: Self.initialMapSize)
        try store.put(Self.items(0..<4))
        #expect(throws: StoreError.mapSizeCapReached(cap: cap)) { try store.put(Self.items(4..<100)) }
        try expectAllReadable(store, ids: 0..<4)
        try store.put(Self.items(4..<8))
        try expectAllReadable(store, ids: 0..<8)
    }

    @Test func anInitialSizeAboveTheCapStartsAtTheCap() throws {
        let store = try temporary.store(dimension: 4, mapSizeCap: 2 << 20, initialMapSize: 64 << 20)
        #expect(try store.statistics().mapBytes == 2 << 20)
    }
}
