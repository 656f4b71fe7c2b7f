import CoreMetrics
import Foundation

/// Exports the node cache's statistics through swift-metrics, as counters (increments since the
/// last report) and gauges, labelled with the store's directory. Reported every
/// `AdaptiveSizing.window` cache lookups and on `FeatureStore.reportCacheMetrics()`.
final class CacheMetrics: @unchecked Sendable {
    // @unchecked: `last` changes under `lock`; the metric objects are thread-safe.
    private let lock = NSLock()
    private var last: CacheStatistics?
    private let lookups, hits, fills, evictions, resultHits: Counter
    private let prefetched, prefetchUsed: [String: Counter]
    private let bytes, target, budget, hitRate: Gauge

    init(directory: String, factory: MetricsFactory) {
        let dimensions = [("store", directory)]
        func counter(_ name: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: "featurememory_cache_\(name)", dimensions: dimensions + extra, factory: factory)
        }
        func gauge(_ name: String) -> Gauge { Gauge(label: "featurememory_cache_\(name)", dimensions: dimensions, factory: factory) }
        lookups = counter("lookups_total")
        hits = counter("hits_total")
        fills = counter("demand_fills_total")
        evictions = counter("evictions_total")
        resultHits = counter("result_hits_total")
        let names = CacheOrigin.prefetchers.map(\.name)
        prefetched = Dictionary(uniqueKeysWithValues: names.map { ($0, counter("prefetched_total", [("prefetcher", $0)])) })
        prefetchUsed = Dictionary(uniqueKeysWithValues: names.map { ($0, counter("prefetch_used_total", [("prefetcher", $0)])) })
        bytes = gauge("bytes")
        target = gauge("target_bytes")
        budget = gauge("budget_bytes")
        hitRate = gauge("hit_rate")
    }

    /// Publishes what changed since the last report.
    func report(_ statistics: CacheStatistics) {
        lock.lock()
        defer { lock.unlock() }
        let previous = last
        func delta(_ now: Int, _ before: Int?) -> Int64 { Int64(max(now - (before ?? 0), 0)) }
        lookups.increment(by: delta(statistics.lookups, previous?.lookups))
        hits.increment(by: delta(statistics.hits, previous?.hits))
        fills.increment(by: delta(statistics.demandFills, previous?.demandFills))
        evictions.increment(by: delta(statistics.evictions, previous?.evictions))
        resultHits.increment(by: delta(statistics.resultCacheHits, previous?.resultCacheHits))
        for prefetcher in statistics.prefetchers {
            let before = previous?.prefetchers.first { $0.name == prefetcher.name }
            prefetched[prefetcher.name]?.increment(by: delta(prefetcher.prefetched, before?.prefetched))
            prefetchUsed[prefetcher.name]?.increment(by: delta(prefetcher.used, before?.used))
        }
        bytes.record(statistics.bytesInUse)
        target.record(statistics.targetBytes)
        budget.record(statistics.budgetBytes)
        if let rate = statistics.hitRate { hitRate.record(rate) }
        last = statistics
    }
}
