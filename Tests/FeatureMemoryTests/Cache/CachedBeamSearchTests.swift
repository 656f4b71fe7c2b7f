import CFeatureMemoryShims
import Foundation
import Testing
@testable import FeatureMemory

/// The C searches over the node cache (`fm_beam_search_layer0`, and `fm_beam_nearest_of` for the
/// descent through the upper layers) are the Swift search on other instructions: with the whole store cached, every answer, distance and visit count must be
/// the same with it and without it, for every metric and code width.
@Suite(.serialized)
struct CachedBeamSearchTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let cases: [(Metric, CacheFormat)] = Metric.allCases.flatMap { metric in [CacheFormat.bytes, .nibbles].map { (metric, $0) } }

    @Test(arguments: cases)
    func answersAreTheSwiftSearchsAnswers(metric: Metric, format: CacheFormat) throws {
        let dimension = 40
        let options = StoreOptions(
            dimension: dimension, metric: metric, hnsw: HNSWParameters(m: 8, efConstruction: 64), durability: .noSync,
            initialMapSize: 1 << 24, cacheBytes: 64 << 20, cacheFormat: format,
            prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false), resultCacheEntries: 0)
        let store = try FeatureStore(at: temporary.storeURL, options: options)
        var random = SeededGenerator(seed: 0xBEA)
        try store.put((0..<1200).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(dimension)) })
        let queries = (0..<80).map { _ in random.gaussianVector(dimension) }
        defer { fm_beam_set_enabled(1) }
        // the first pass fills the cache through the Swift search; then both searches read it whole
        fm_beam_set_enabled(0)
        _ = try queries.map { try store.nearest(to: $0, count: 10, ef: 48) }
        var answers: [Bool: [[SearchResult]]] = [:]
        var visits: [Bool: Int] = [:]
        for enabled in [false, true, false, true] {
            fm_beam_set_enabled(enabled ? 1 : 0)
            let before = store.cacheStatistics?.lookups ?? 0
            let found = try queries.map { try store.nearest(to: $0, count: 10, ef: 48) }
            let looked = (store.cacheStatistics?.lookups ?? 0) - before
            if let earlier = answers[enabled] { #expect(earlier == found) }
            answers[enabled] = found
            if let earlier = visits[enabled] { #expect(earlier == looked) }
            visits[enabled] = looked
        }
        #expect(answers[true] == answers[false])
        #expect(visits[true] == visits[false], "cache lookups \(visits[true] ?? 0) vs \(visits[false] ?? 0)")
        #expect((store.cacheStatistics?.hitRate ?? 0) > 0.99)
    }
}
