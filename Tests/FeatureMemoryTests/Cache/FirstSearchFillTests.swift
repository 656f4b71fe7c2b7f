import Foundation
import Testing
@testable import FeatureMemory

/// A store whose node cache can hold it whole is loaded by the warm start right after the first
/// search, so that search reads the map and fills nothing (its answer comes sooner); in every
/// other case searches fill the cache on their misses as before.
struct FirstSearchFillTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 16
    static let count = 2000

    func options(cacheBytes: Int, warmStart: Bool) -> StoreOptions {
        StoreOptions(
            dimension: Self.dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 48), durability: .noSync,
            initialMapSize: 1 << 24, cacheBytes: cacheBytes,
            prefetch: PrefetchOptions(graph: false, warmStart: warmStart, predictive: false))
    }

    /// The store's vectors, written by an opening without a cache, which is closed again.
    func makeStore() throws -> [[Float]] {
        var random = SeededGenerator(seed: 21)
        let vectors = (0..<Self.count).map { _ in random.gaussianVector(Self.dimension) }
        let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 0, warmStart: false))
        try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        return vectors
    }

    @Test func theFirstSearchOfAStoreThatFitsLeavesFillingToTheWarmStart() throws {
        let vectors = try makeStore()
        let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 8 << 20, warmStart: true))
        #expect(try store.nearest(to: vectors[7], count: 5).first?.id == 7)
        #expect(try #require(store.cacheStatistics).demandFills == 0)
        // the warm start then loads every node, and searches hit
        let deadline = Date().addingTimeInterval(30)
        while try #require(store.cacheStatistics).entries < Self.count && Date() < deadline { store.waitForPrefetches() }
        #expect(try #require(store.cacheStatistics).entries == Self.count)
        let before = try #require(store.cacheStatistics)
        for (id, vector) in vectors.enumerated().prefix(50) { #expect(try store.nearest(to: vector, count: 1).first?.id == UInt64(id)) }
        let after = try #require(store.cacheStatistics)
        #expect(after.hits - before.hits == after.lookups - before.lookups)
        #expect(after.demandFills == 0)
    }

    @Test func withoutAWarmStartSearchesFillTheCache() throws {
        let vectors = try makeStore()
        let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 8 << 20, warmStart: false))
        #expect(try store.nearest(to: vectors[7], count: 5).first?.id == 7)
        #expect(try #require(store.cacheStatistics).demandFills > 0)
    }

    @Test func aStoreLargerThanTheBudgetFillsOnItsFirstSearch() throws {
        let vectors = try makeStore()
        // room for a few hundred of the 2,000 nodes
        let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 96 << 10, warmStart: true))
        #expect(try store.nearest(to: vectors[7], count: 5).first?.id == 7)
        #expect(try #require(store.cacheStatistics).demandFills > 0)
    }
}
