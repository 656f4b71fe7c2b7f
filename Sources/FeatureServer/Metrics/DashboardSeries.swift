import Dispatch
import FeatureMemory
import Foundation
import Synchronization

/// What `GET /dashboard/data` answers: the server sampled every `interval` seconds over the last
/// ten minutes, each figure over the interval before its sample (rates, percentiles, ratios).
final class DashboardSeries: Sendable {
    /// One collection in a sample.
    struct CollectionSample: Sendable, Encodable {
        var vectors: Int?
        var bytes: Int
        var recallEstimate: Double?
        var cacheHitRatio: Double?

        private enum CodingKeys: String, CodingKey { case vectors, bytes, recallEstimate = "recall_estimate", cacheHitRatio = "cache_hit_ratio" }

        // nulls are written out: a figure with no data yet is null, never missing
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(vectors, forKey: .vectors)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(recallEstimate, forKey: .recallEstimate)
            try container.encode(cacheHitRatio, forKey: .cacheHitRatio)
        }
    }

    /// The server at one moment.
    struct Sample: Sendable, Encodable {
        var t: Double
        var requestsPerSecond: Double
        var p50Milliseconds: Double?
        var p99Milliseconds: Double?
        var errorRatio: Double?
        var cacheHitRatio: Double?
        var residentBytes: Int?
        var collections: [String: CollectionSample]

        private enum CodingKeys: String, CodingKey {
            case t, requestsPerSecond = "requests_per_second", p50Milliseconds = "p50_ms", p99Milliseconds = "p99_ms"
            case errorRatio = "error_ratio", cacheHitRatio = "cache_hit_ratio", residentBytes = "resident_bytes", collections
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(t, forKey: .t)
            try container.encode(requestsPerSecond, forKey: .requestsPerSecond)
            try container.encode(p50Milliseconds, forKey: .p50Milliseconds)
            try container.encode(p99Milliseconds, forKey: .p99Milliseconds)
            try container.encode(errorRatio, forKey: .errorRatio)
            try container.encode(cacheHitRatio, forKey: .cacheHitRatio)
            try container.encode(residentBytes, forKey: .residentBytes)
            try container.encode(collections, forKey: .collections)
        }
    }

    /// The answer of `GET /dashboard/data`.
    struct Answer: Sendable, Encodable {
        var intervalSeconds: Double
        var now: Double
        var samples: [Sample]

        private enum CodingKeys: String, CodingKey { case intervalSeconds = "interval_seconds", now, samples }
    }

    /// What the previous sample saw, for the differences.
    private struct Previous {
        var time: ContinuousClock.Instant
        var answered: Int
        var failed: Int
        var latency: [Int]
        var cache: [String: (hits: Int, lookups: Int)]
    }

    /// Seconds between samples.
    let interval: Double
    /// Samples kept.
    let capacity: Int
    private let metrics: ServerMetrics
    private let collections: @Sendable () -> [Collection]
    private let samples = Mutex<[Sample]>([])
    private let previous = Mutex<Previous?>(nil)
    private let timer = Mutex<RepeatingTimer?>(nil)

    /// A series of `metrics` and what `collections` returns at each sample.
    init(metrics: ServerMetrics, interval: Double = 2, capacity: Int = 300, collections: @escaping @Sendable () -> [Collection]) {
        self.metrics = metrics
        self.interval = interval
        self.capacity = capacity
        self.collections = collections
    }

    /// Starts the ticks.
    func start() {
        let timer = RepeatingTimer(label: "fmdb.dashboard", interval: interval, firstDelay: 0) { [weak self] in self?.sample() }
        self.timer.withLock { $0 = timer }
        timer.start()
    }

    /// Stops the ticks and waits for one in progress.
    func stop() {
        timer.withLock { $0 }?.stop()
    }

    /// The samples kept, oldest first.
    var answer: Answer {
        Answer(intervalSeconds: interval, now: Date().timeIntervalSince1970, samples: samples.withLock { $0 })
    }

    /// Takes one sample now.
    func sample() {
        let now = ContinuousClock.now
        let open = collections()
        var cache: [String: (hits: Int, lookups: Int)] = [:]
        for collection in open {
            if let statistics = collection.store.cacheStatistics { cache[collection.name] = (statistics.hits, statistics.lookups) }
        }
        let current = Previous(
            time: now, answered: metrics.answered.current, failed: metrics.failed.current,
            latency: metrics.latency.snapshot, cache: cache)
        guard let before = previous.withLock({ previous -> Previous? in
            defer { previous = current }
            return previous
        }) else { return }
        let seconds = max((now - before.time).seconds, 1e-3)
        let requests = current.answered - before.answered
        func ratio(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
        var hits = 0, lookups = 0
        var perCollection: [String: CollectionSample] = [:]
        for collection in open {
            let now = cache[collection.name], then = before.cache[collection.name]
            let deltaHits = (now?.hits ?? 0) - (then?.hits ?? 0), deltaLookups = (now?.lookups ?? 0) - (then?.lookups ?? 0)
            hits += max(deltaHits, 0)
            lookups += max(deltaLookups, 0)
            perCollection[collection.name] = CollectionSample(
                vectors: try? collection.store.count(), bytes: CollectionMetrics.bytes(in: collection.store.directory),
                recallEstimate: collection.canary.estimate?.recall,
                cacheHitRatio: deltaLookups > 0 ? Double(deltaHits) / Double(deltaLookups) : nil)
        }
        let taken = Sample(
            t: Date().timeIntervalSince1970, requestsPerSecond: Double(requests) / seconds,
            p50Milliseconds: LatencyBuckets.quantile(0.5, from: before.latency, to: current.latency).map { $0 * 1000 },
            p99Milliseconds: LatencyBuckets.quantile(0.99, from: before.latency, to: current.latency).map { $0 * 1000 },
            errorRatio: ratio(current.failed - before.failed, requests), cacheHitRatio: ratio(hits, lookups),
            residentBytes: ProcessMemory.current()?.resident, collections: perCollection)
        samples.withLock { samples in
            samples.append(taken)
            if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        }
    }
}
