import Foundation
import Testing
@testable import FeatureMemory

/// A search answers the same whatever the node cache holds: a cold cache that keeps few nodes
/// (misses encoded on the fly), a warm one reached through misses, and a whole-store one (the C
/// beam search) give the same ids and distances, for every cache format and metric. Replicas of a
/// cluster rely on it: one that restarted must answer as one that did not.
struct CacheIndependentAnswersTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    // not a multiple of 64: the 4-bit codes' padding is exercised too
    static let dimension = 40
    static let count = 3000

    func options(metric: Metric, format: CacheFormat, cacheBytes: Int, warmStart: Bool = false) -> StoreOptions {
        StoreOptions(
            dimension: Self.dimension, metric: metric, hnsw: HNSWParameters(m: 8, efConstruction: 48), durability: .noSync,
            initialMapSize: 1 << 26, cacheBytes: cacheBytes, cacheFormat: format,
            prefetch: PrefetchOptions(graph: false, warmStart: warmStart, predictive: false), resultCacheEntries: 0)
    }

    /// Each query's ten nearest at ef 32, through a store opened with `options`.
    func answers(_ queries: [[Float]], _ options: StoreOptions, waitForWholeStore: Bool = false, passes: Int = 1) throws -> [[SearchResult]] {
        let store = try FeatureStore(at: temporary.storeURL, options: options)
        if waitForWholeStore {
            let deadline = Date().addingTimeInterval(60)
            while try #require(store.cacheStatistics).entries < Self.count && Date() < deadline { store.waitForPrefetches() }
            #expect(try #require(store.cacheStatistics).entries == Self.count)
        }
        var found: [[SearchResult]] = []
        for _ in 0..<passes { found = try queries.map { try store.nearest(to: $0, count: 10, ef: 32) } }
        return found
    }

    @Test(arguments: [CacheFormat.bytes, .nibbles, .half], [Metric.l2, .cosine])
    func answersDoNotDependOnWhatIsCached(format: CacheFormat, metric: Metric) throws {
        var random = SeededGenerator(seed: 77)
        let vectors = (0..<Self.count).map { _ in random.gaussianVector(Self.dimension) }
        let queries = (0..<60).map { _ in random.gaussianVector(Self.dimension) }
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(metric: metric, format: format, cacheBytes: 0))
            try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        }
        // room for a few hundred nodes: most lookups miss
        let cold = try answers(queries, options(metric: metric, format: format, cacheBytes: 64 << 10))
        let warmed = try answers(queries, options(metric: metric, format: format, cacheBytes: 32 << 20), passes: 2)
        let whole = try answers(queries, options(metric: metric, format: format, cacheBytes: 32 << 20, warmStart: true), waitForWholeStore: true)
        #expect(cold.allSatisfy { $0.count == 10 })
        for index in queries.indices {
            #expect(cold[index] == whole[index], "query \(index): a cold cache answered otherwise than a whole one")
            #expect(warmed[index] == whole[index], "query \(index): a warmed cache answered otherwise than a whole one")
        }
    }
}
