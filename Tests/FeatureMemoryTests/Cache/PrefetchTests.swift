import Foundation
import MetricsTestKit
import Testing
@testable import FeatureMemory

/// The prefetchers, the result cache and the cache's statistics and metrics.
struct PrefetchTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 16

    func options(prefetch: PrefetchOptions, resultCacheEntries: Int = 0, metrics: TestMetrics? = nil) -> StoreOptions {
        var options = StoreOptions(
            dimension: Self.dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 48), durability: .noSync,
            initialMapSize: 1 << 24, cacheBytes: 8 << 20, prefetch: prefetch, resultCacheEntries: resultCacheEntries)
        options.metricsFactory = metrics
        return options
    }

    func fill(_ store: FeatureStore, count: Int = 2000, seed: UInt64 = 11) throws -> [[Float]] {
        var random = SeededGenerator(seed: seed)
        let vectors = (0..<count).map { _ in random.gaussianVector(Self.dimension) }
        try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        return vectors
    }

    static let none = PrefetchOptions(graph: false, warmStart: false, predictive: false)

    @Test func aWarmStartLoadsTheSavedImageAndSearchesHitAtOnce() throws {
        let vectors: [[Float]]
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none))
            vectors = try fill(store)
            for vector in vectors.prefix(200) { _ = try store.nearest(to: vector, count: 5) }
            try store.saveHotSet()
            let saved = try store.statistics()
            #expect(saved.hotSetNodes > 0)
            #expect(saved.cacheImageEntries == saved.hotSetNodes)
            #expect(saved.savedCacheStatistics?.lookups ?? 0 > 0)
        }
        let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: PrefetchOptions(graph: false, warmStart: true, predictive: false)))
        store.waitForPrefetches()
        let warm = try #require(store.cacheStatistics)
        let warmStart = try #require(warm.prefetchers.first { $0.name == "warm_start" })
        #expect(warmStart.prefetched > 0)
        for vector in vectors.prefix(50) { _ = try store.nearest(to: vector, count: 5) }
        let after = try #require(store.cacheStatistics)
        #expect(Double(after.hits) / Double(after.lookups) > 0.9)
        #expect(after.prefetchers.first { $0.name == "warm_start" }?.used ?? 0 > 0)
    }

    @Test func anImageOfAnotherSnapshotIsNotLoaded() throws {
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none))
            let vectors = try fill(store)
            for vector in vectors.prefix(100) { _ = try store.nearest(to: vector, count: 5) }
            try store.saveHotSet()
            // a later write: the image no longer describes the newest snapshot
            try store.update(3, vector: [Float](repeating: 7, count: Self.dimension))
        }
        let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: PrefetchOptions(graph: false, warmStart: true, predictive: false)))
        store.waitForPrefetches()
        // the hot set is re-read from the map instead, so the changed vector is what searches see
        let found = try store.nearest(to: [Float](repeating: 7, count: Self.dimension), count: 1)
        #expect(found.first?.id == 3)
        #expect(found.first?.distance == 0)
    }

    /// A store the budget holds whole is loaded whole by a warm start, from the map, without a
    /// saved image, and the sizing windows that pass meanwhile do not cut the load short.
    @Test func aWarmStartLoadsAStoreThatFitsWhole() throws {
        let vectors: [[Float]]
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none))
            vectors = try fill(store, count: 6000)
        }
        let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: PrefetchOptions(graph: false, warmStart: true, predictive: false)))
        // enough lookups for several sizing windows while (and after) the load runs
        for vector in vectors.prefix(300) { _ = try store.nearest(to: vector, count: 5, ef: 200) }
        store.waitForPrefetches()
        let statistics = try #require(store.cacheStatistics)
        #expect(statistics.entries == vectors.count)
        #expect(statistics.evictions == 0)
        let warmStart = try #require(statistics.prefetchers.first { $0.name == "warm_start" })
        #expect(warmStart.prefetched > 0)
        // answers come from the cache and are the stored vectors'
        let before = statistics.lookups - statistics.hits
        for (id, vector) in vectors.enumerated().prefix(100) {
            #expect(try store.nearest(to: vector, count: 1).first == SearchResult(id: UInt64(id), distance: 0))
        }
        let after = try #require(store.cacheStatistics)
        #expect(after.lookups - after.hits == before)
    }

    /// Releasing the last store object while its warm start runs closes the store at once: the
    /// prefetch thread never holds the store object, and the release waits for its request.
    @Test func releasingAStoreDuringItsWarmStartClosesIt() throws {
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none))
            _ = try fill(store, count: 6000)
        }
        for _ in 0..<5 {
            var store: FeatureStore? = try FeatureStore(at: temporary.storeURL, options: options(prefetch: PrefetchOptions()))
            weak let environment = store?.environment
            store = nil
            #expect(environment == nil)
        }
        let reopened = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none))
        #expect(try reopened.read { try $0.count } == 6000)
    }

    /// A store larger than the budget gets the hot set and the entry point's neighbourhood only.
    @Test func aWarmStartOfAStoreLargerThanTheBudgetStaysWithinIt() throws {
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none))
            _ = try fill(store, count: 6000)
        }
        var small = options(prefetch: PrefetchOptions(graph: false, warmStart: true, predictive: false))
        small.cacheBytes = 256 << 10
        let store = try FeatureStore(at: temporary.storeURL, options: small)
        store.waitForPrefetches()
        let statistics = try #require(store.cacheStatistics)
        #expect(statistics.entries > 0)
        #expect(statistics.entries < 6000)
        #expect(statistics.bytesInUse <= statistics.budgetBytes)
    }

    /// The gate lets searches through when open, holds a search until it is released, and
    /// never longer than its bound. Ordered by handshakes; the one clock reading is a lower bound
    /// (a held gate does not let a search through before `maximumWait`), which a slow or busy
    /// machine can only make longer, never fail.
    @Test func theLocationGateHoldsSearchesBoundedly() throws {
        let gate = LocationGate()
        gate.pass()                                     // open: returns
        gate.hold()
        let clock = ContinuousClock()
        let bounded = clock.measure { gate.pass() }     // held, never released: returns at the bound
        #expect(bounded >= .milliseconds(Int(LocationGate.maximumWait * 1000) - 5))
        // a search waiting at the held gate goes on once it is released
        let waiting = DispatchSemaphore(value: 0), passed = DispatchSemaphore(value: 0)
        Thread {
            waiting.signal()
            gate.pass()
            passed.signal()
        }.start()
        waiting.wait()
        gate.release()
        passed.wait()
        gate.pass()                                     // open again: returns
    }

    @Test func graphPrefetchingFillsNeighboursAhead() throws {
        let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: PrefetchOptions(graph: true, warmStart: false, predictive: false)))
        let vectors = try fill(store)
        for vector in vectors.prefix(100) { _ = try store.nearest(to: vector, count: 5) }
        store.waitForPrefetches()
        let graph = try #require(store.cacheStatistics?.prefetchers.first { $0.name == "graph" })
        #expect(graph.prefetched > 0)
        #expect(graph.used > 0)
        #expect(graph.used <= graph.prefetched)
    }

    @Test func thePredictorNamesTheRegionThatUsuallyFollows() {
        let predictor = AccessPredictor()
        var predicted: [UInt32]?
        for _ in 0..<3 {
            _ = predictor.observe(region: 1, results: [10, 11])
            _ = predictor.observe(region: 2, results: [20, 21])
            predicted = predictor.observe(region: 3, results: [30, 31])
        }
        // after region 3 comes region 1 (the cycle), whose last results were 10 and 11
        #expect(predicted == [10, 11])
        let fresh = AccessPredictor()
        #expect(fresh.observe(region: 5, results: [1]) == nil)
    }

    @Test func theResultCacheAnswersRepeatsAndForgetsOnCommit() throws {
        let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none, resultCacheEntries: 16))
        let vectors = try fill(store, count: 300)
        let first = try store.nearest(to: vectors[5], count: 3)
        let second = try store.nearest(to: vectors[5], count: 3)
        #expect(first == second)
        #expect(store.cacheStatistics?.resultCacheHits == 1)
        try store.put(vectors[5], for: 10_000)   // a commit: the cached answer is stale now
        let third = try store.nearest(to: vectors[5], count: 3)
        #expect(third.contains { $0.id == 10_000 })
        #expect(store.cacheStatistics?.resultCacheHits == 1)
    }

    @Test func statisticsGoOutThroughSwiftMetrics() throws {
        let metrics = TestMetrics()
        let store = try FeatureStore(at: temporary.storeURL, options: options(prefetch: Self.none, metrics: metrics))
        let vectors = try fill(store, count: 500)
        for vector in vectors.prefix(40) { _ = try store.nearest(to: vector, count: 5) }
        store.reportCacheMetrics()
        let statistics = try #require(store.cacheStatistics)
        let dimensions = [("store", temporary.storeURL.path)]
        #expect(try metrics.expectCounter("featurememory_cache_lookups_total", dimensions).totalValue == Int64(statistics.lookups))
        #expect(try metrics.expectCounter("featurememory_cache_hits_total", dimensions).totalValue == Int64(statistics.hits))
        #expect(try metrics.expectGauge("featurememory_cache_bytes", dimensions).lastValue == Double(statistics.bytesInUse))
    }

    @Test func sizingGrowsWhileItPaysAndShrinksOnlyWhenHitsHold() {
        var sizing = AdaptiveSizing(capacity: 8000)
        let start = sizing.target
        // full and climbing: grows
        _ = sizing.next(hitRate: 0.5, evictions: 100, used: sizing.target)
        #expect(sizing.target > start)
        let grown = sizing.target
        _ = sizing.next(hitRate: 0.7, evictions: 100, used: sizing.target)
        #expect(sizing.target > grown)
        // growth stopped paying: it stays
        let plateau = sizing.target
        _ = sizing.next(hitRate: 0.7, evictions: 100, used: sizing.target)
        #expect(sizing.target == plateau)
        // steady: it tries a smaller size, and goes back when that costs hits
        for _ in 0..<3 { _ = sizing.next(hitRate: 0.7, evictions: 100, used: sizing.target) }
        #expect(sizing.target < plateau)
        _ = sizing.next(hitRate: 0.6, evictions: 100, used: sizing.target)
        #expect(sizing.target == plateau)
        // a reservation holds while nothing is evicted, however little is used yet
        var reserved = AdaptiveSizing(capacity: 8000)
        reserved.reserve(6000)
        _ = reserved.next(hitRate: 0.2, evictions: 0, used: 300)
        #expect(reserved.target == 6000)
        // not full: the target follows what is used
        _ = sizing.next(hitRate: 0.99, evictions: 0, used: 1000)
        #expect(sizing.target == 1125)
    }

    @Test(arguments: CachePolicy.allCases)
    func evictionKeepsEntriesThatAreUsedAgain(policy: CachePolicy) {
        var queues = EvictionQueues(policy: policy)
        var uses = [UInt8](repeating: 0, count: 100)
        for slot in 0..<100 { queues.admit(slot, node: UInt32(slot)) }
        // slots 0..<10 are used again; a victim must come from the rest
        for slot in 0..<10 { uses[slot] = 2 }
        for _ in 0..<20 {
            let victim = queues.victim(limit: 100) { slot, lower in
                let count = uses[slot]
                if lower && count > 0 { uses[slot] = count - 1 }
                return count
            }
            #expect(victim >= 10, "\(policy) evicted slot \(victim), which was in use")
            queues.evicted(victim, node: UInt32(victim))
            queues.admit(victim, node: UInt32(1000 + victim))
        }
    }
}
