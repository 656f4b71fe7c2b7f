import FeatureMemory
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Prometheus
import Synchronization

/// One collection's series in the server's registry, labelled `collection`: the ones the server
/// makes (sizes, commits, learning, the recall canary, derived cache figures); the store's own
/// (cache counters, search duration and visited nodes) arrive through `storeFactory`.
final class CollectionMetrics: Sendable {
    /// What the collection's store reports its swift-metrics through.
    let storeFactory: CollectionMetricsFactory
    private let registry: PrometheusCollectorRegistry
    private let labels: [(String, String)]

    let vectors, storeBytes, mapUsed, mapSize, mapCap, cacheHitRatio: Gauge
    /// The series made on first use, and whether the collection's series were removed: one lock
    /// for both, so a scrape racing a deletion cannot make a series again after it was removed.
    private struct Lazy {
        /// Made at the first estimate: until a query was checked there is no recall to show (not 0).
        var recall: (estimate: Gauge, sampleSize: Gauge)?
        /// Made for a prefetcher once it prefetched something (before, it has no accuracy to show).
        var prefetchAccuracy: [String: Gauge] = [:]
        var removed = false
    }
    private let lazy = Mutex(Lazy())
    let commits, pointsUpserted, pointsDeleted, learned, recognized, canaryChecks, canarySeconds, canaryFound, canaryExpected: Counter
    let commitDuration, learnDuration, recognizeDuration: DurationHistogram
    let groupRequests, confidence: ValueHistogram

    /// The series of collection `name` in `registry`.
    init(registry: PrometheusCollectorRegistry, collection name: String) {
        self.registry = registry
        let labels = [("collection", name)]
        self.labels = labels
        storeFactory = CollectionMetricsFactory(registry: registry, collection: name)
        func gauge(_ name: String, _ help: String) -> Gauge { registry.makeGauge(name: name, labels: labels, help: help) }
        func counter(_ name: String, _ help: String) -> Counter { registry.makeCounter(name: name, labels: labels, help: help) }
        vectors = gauge("featurememory_collection_vectors", "Vectors stored.")
        storeBytes = gauge("featurememory_collection_store_bytes", "Bytes of the store's files on disk.")
        mapUsed = gauge("featurememory_collection_map_used_bytes", "Bytes of the LMDB map in use (pages up to the last written).")
        mapSize = gauge("featurememory_collection_map_size_bytes", "The LMDB map's current size.")
        mapCap = gauge("featurememory_collection_map_cap_bytes", "The size the map may grow to (the disk's size when no cap was set).")
        cacheHitRatio = gauge("featurememory_cache_hit_ratio", "Node cache lookups answered from the cache since the collection opened, 0…1.")
        commits = counter("featurememory_commits_total", "Write transactions committed through the API.")
        pointsUpserted = counter("featurememory_points_upserted_total", "Points upserted through the API.")
        pointsDeleted = counter("featurememory_points_deleted_total", "Points deleted through the API.")
        learned = counter("featurememory_learn_total", "Learn requests that stored a pattern.")
        recognized = counter("featurememory_recognize_total", "Recognize requests answered.")
        canaryChecks = counter("featurememory_recall_canary_checks_total", "Queries the recall canary checked.")
        canarySeconds = counter("featurememory_recall_canary_seconds_total", "Time the recall canary spent checking.")
        canaryFound = counter(
            "featurememory_recall_canary_neighbours_found_total",
            "True neighbours the graph found in the canary's checks (over a window, divided by the expected ones: recall).")
        canaryExpected = counter("featurememory_recall_canary_neighbours_expected_total", "True neighbours the canary's checks looked for.")
        commitDuration = registry.makeDurationHistogram(
            name: "featurememory_commit_duration_seconds", labels: labels, buckets: MetricBuckets.commitSeconds,
            help: "Write transactions through the API, from begin to durable commit.")
        learnDuration = registry.makeDurationHistogram(
            name: "featurememory_learn_duration_seconds", labels: labels, buckets: MetricBuckets.audioSeconds,
            help: "Learn requests, extraction and commit included.")
        recognizeDuration = registry.makeDurationHistogram(
            name: "featurememory_recognize_duration_seconds", labels: labels, buckets: MetricBuckets.audioSeconds,
            help: "Recognize requests, extraction included.")
        groupRequests = registry.makeValueHistogram(
            name: "featurememory_group_commit_requests", labels: labels, buckets: MetricBuckets.groupRequests,
            help: "Write requests per transaction (group commit).")
        confidence = registry.makeValueHistogram(
            name: "featurememory_recognition_confidence", labels: labels, buckets: MetricBuckets.confidence,
            help: "Confidence of recognize answers, 0…1.")
    }

    /// Sets the gauges read at scrape time from `store`; `diskBytes` stands for the cap when the map has none.
    func update(from store: FeatureStore, canary: RecallCanary.Estimate?, diskBytes: Int?) {
        if let count = try? store.count() { vectors.set(to: Double(count)) }
        storeBytes.set(to: Double(Self.bytes(in: store.directory)))
        if let usage = try? store.mapUsage() {
            mapUsed.set(to: Double(usage.usedBytes))
            mapSize.set(to: Double(usage.mapBytes))
            if let cap = usage.capBytes ?? diskBytes { mapCap.set(to: Double(cap)) }
        }
        store.reportCacheMetrics()
        if let cache = store.cacheStatistics {
            if let ratio = cache.hitRate { cacheHitRatio.set(to: ratio) }
            for (name, accuracy) in cache.prefetchAccuracyByName {
                let gauge = lazy.withLock { lazy -> Gauge? in
                    if let gauge = lazy.prefetchAccuracy[name] { return gauge }
                    guard !lazy.removed else { return nil }
                    let gauge = registry.makeGauge(
                        name: "featurememory_cache_prefetch_accuracy", labels: labels + [("prefetcher", name)],
                        help: "Of the entries a prefetcher filled, the share searches used, 0…1.")
                    lazy.prefetchAccuracy[name] = gauge
                    return gauge
                }
                gauge?.set(to: accuracy)
            }
        }
        if let canary {
            let gauges = lazy.withLock { lazy -> (estimate: Gauge, sampleSize: Gauge)? in
                if let recall = lazy.recall { return recall }
                guard !lazy.removed else { return nil }
                let made = (
                    registry.makeGauge(
                        name: "featurememory_recall_estimate", labels: labels,
                        help: "Recall@k of recent sampled queries against an exhaustive search, 0…1."),
                    registry.makeGauge(name: "featurememory_recall_sample_size", labels: labels, help: "Queries the recall estimate averages."))
                lazy.recall = made
                return made
            }
            gauges?.estimate.set(to: canary.recall)
            gauges?.sampleSize.set(to: Double(canary.sampleSize))
        }
    }

    /// Bytes of the files in `directory` (a store: data.mdb, lock.mdb), by stat(2): this runs on
    /// every scrape and dashboard sample.
    static func bytes(in directory: URL) -> Int {
        var total = 0
        for name in ["data.mdb", "lock.mdb"] {
            var facts = stat()
            if stat(directory.appendingPathComponent(name).path, &facts) == 0 { total += Int(facts.st_size) }
        }
        return total
    }

    /// Removes every series of the collection (it was deleted).
    func unregister() {
        storeFactory.unregisterAll()
        let made = lazy.withLock { lazy -> [Gauge] in
            lazy.removed = true
            return (lazy.recall.map { [$0.estimate, $0.sampleSize] } ?? []) + Array(lazy.prefetchAccuracy.values)
        }
        for gauge in [vectors, storeBytes, mapUsed, mapSize, mapCap, cacheHitRatio] + made {
            registry.unregisterGauge(gauge)
        }
        for counter in [commits, pointsUpserted, pointsDeleted, learned, recognized, canaryChecks, canarySeconds, canaryFound, canaryExpected] {
            registry.unregisterCounter(counter)
        }
        for histogram in [commitDuration, learnDuration, recognizeDuration] { registry.unregisterDurationHistogram(histogram) }
        for histogram in [groupRequests, confidence] { registry.unregisterValueHistogram(histogram) }
    }
}
