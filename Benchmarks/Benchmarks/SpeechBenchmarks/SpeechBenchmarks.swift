import Benchmark
import FeatureExtraction
import FeatureMemory
import Foundation
import PatternLearning

/// Feature extraction and recognition: the per-clip costs of `fmdb learn` and `fmdb recognize`.
/// Run with `swift package benchmark --target SpeechBenchmarks` in the `Benchmarks` directory.
let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .throughput]

    // One second of 16 kHz audio: a voiced-like signal (a tone with harmonics under an envelope).
    let second: [Float] = (0..<16_000).map { index in
        let t = Double(index) / 16_000
        let envelope = sin(Double.pi * Double(index) / 16_000)
        return Float(envelope * (0.5 * sin(2 * .pi * 180 * t) + 0.2 * sin(2 * .pi * 360 * t) + 0.1 * sin(2 * .pi * 1_250 * t)))
    }

    for (name, configuration) in [("default 78", MFCCConfiguration.default), ("baseline 26", MFCCConfiguration.baseline)] {
        Benchmark("extract 1 s 16 kHz, \(name)", configuration: .init(metrics: metrics, maxDuration: .seconds(3))) { benchmark in
            let extractor = try MFCCExtractor(configuration: configuration)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try extractor.features(from: second, sampleRate: 16_000)) }
        }
    }

    // Recognition among 100,000 stored patterns of 78 values (random unit vectors, 1,000 labels):
    // the search, the neighbours' metadata and the score, per query, once every query has run
    // (the warm-up: the patterns were just written, and a store object's node cache fills from
    // searches after writes; a freshly opened store is measured by tools/recognition-latency.sh).
    let slot = RecognitionSlot()
    Benchmark(
        "recognize among 100k patterns",
        configuration: .init(metrics: metrics, warmupIterations: 1_000, maxDuration: .seconds(5), maxIterations: 5_000)
    ) { benchmark in
        guard let memory = slot.memory else { return }
        let query = slot.nextQuery()
        benchmark.startMeasurement()
        blackHole(try memory.recognize(query))
        benchmark.stopMeasurement()
    } setup: {
        try slot.setUp(patterns: 100_000)
    } teardown: {
        slot.tearDown()
    }
}

/// The store and queries of the recognition benchmark, made before measuring.
final class RecognitionSlot: @unchecked Sendable {
    var memory: PatternMemory?
    private var directory: URL?
    private var queries: [[Float]] = []
    private var cursor = 0

    func setUp(patterns count: Int) throws {
        var random = SystemRandomNumberGenerator()
        func unitVector() -> [Float] {
            let values = (0..<78).map { _ in Float.random(in: -1...1, using: &random) }
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return values.map { $0 / norm }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("featurememory-speech-\(UUID().uuidString)")
        let store = try FeatureStore(at: directory, options: StoreOptions(dimension: 78, metric: .cosine, durability: .noSync, resultCacheEntries: 0))
        var items: [VectorItem] = []
        for id in 1...UInt64(count) {
            items.append(VectorItem(id: id, vector: unitVector(), label: "w\(id % 1_000)"))
            if items.count == 10_000 {
                try store.put(items)
                items.removeAll()
            }
        }
        if !items.isEmpty { try store.put(items) }
        memory = try PatternMemory(store: store)
        queries = (0..<1_000).map { _ in unitVector() }
        self.directory = directory
    }

    func nextQuery() -> [Float] {
        defer { cursor = (cursor + 1) % queries.count }
        return queries[cursor]
    }

    func tearDown() {
        memory = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}
