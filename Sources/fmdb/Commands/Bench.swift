import ArgumentParser
import CommandSupport
import Dispatch
import FeatureMemory
import Foundation
import Synchronization
import VectorFiles

extension FMDB {
    /// `fmdb bench STORE --queries Q.fvecs --truth GT.ivecs [--k 10] [--ef 16,32,64,128,256] [--json] [--threads N]`
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Measure search recall, throughput and latency per ef against a ground truth.",
            discussion: """
                Each query is one read transaction and one graph search, as an application would make it. \
                Queries run one at a time on one thread unless --threads N. One untimed pass over the \
                queries warms the page cache first. Ground-truth rows are row numbers of the imported \
                file; the ids compared are row + --first-id. With --json, one line per ef: \
                {"ef": 64, "recall": 0.953, "qps": 8123.4, "p50_ms": 0.11, "p99_ms": 0.32}.
                """)

        @OptionGroup var location: StoreArguments

        @Option(help: "Query vectors (fvecs, npy or jsonl).")
        var queries: String

        @Option(help: "Ground truth: per query the nearest rows, best first (ivecs).")
        var truth: String

        @Option(help: "Results per query; recall is measured at k.")
        var k: Int = 10

        @Option(help: "Comma-separated ef values to measure.")
        var ef: String = "16,32,64,128,256"

        @Option(help: "Threads issuing queries.")
        var threads: Int = 1

        @Option(help: "The id of the imported file's first row.")
        var firstID: UInt64 = 0

        @Flag(help: "One JSON object per ef per line.")
        var json = false

        @Option(help: "Query stream: uniform (each query once, in file order) or zipf (a skewed stream that repeats popular queries).")
        var workload: Workload = .uniform

        @Option(help: "With the uniform workload, pass over the query file this many times per ef, so that a measurement lasts long enough to mean something on a noisy machine.")
        var passes: Int = 1

        @Option(help: "Queries in a zipf stream (default 10 × the file's).")
        var streamLength: Int?

        @Option(help: "Exponent s of the zipf stream: query of popularity rank r is drawn with weight 1/r^s.")
        var zipfExponent: Double = 1.1

        @Option(help: "Seed of the zipf stream.")
        var seed: UInt64 = 42

        @Flag(help: "Measure a cold start: open the store in this process and measure without any warm-up pass; the first 100 queries are timed apart.")
        var cold = false

        @Flag(help: "With --cold, also evict the store's file from the OS page cache first (as after a reboot).")
        var dropPageCache = false

        @Option(name: .customLong("cache-mb"), help: "Node cache budget in MiB (0 turns the cache off; default 256).")
        var cacheMB: Int?

        @Option(help: "Node cache eviction policy: clock (default) or s3fifo.")
        var cachePolicy: CachePolicy = .clock

        @Option(help: "How the node cache keeps vectors: bytes (8-bit, default), nibbles (4-bit) or half (float16).")
        var cacheFormat: CacheFormat = .bytes

        @Flag(help: "Turn off graph-aware prefetching.")
        var noGraphPrefetch = false

        @Flag(help: "Turn off the warm start at open.")
        var noWarmStart = false

        @Flag(help: "Turn off predictive prefetching.")
        var noPredictive = false

        @Flag(help: "Keep the search-result cache on (off by default here, so that repeated queries are searched).")
        var resultCache = false

        @Flag(help: "After measuring, save the node cache's hot set in the store, for the next opening's warm start.")
        var saveHotSet = false

        @Option(help: "Write recall against queries per second (log scale) as an SVG chart to this file, a point per ef.")
        var plot: String?

        @Option(help: "This run's name in --plot's legend.")
        var plotName = "FeatureMemory"

        @Option(name: .customLong("plot-series"), help: ArgumentHelp(
            "Another curve for --plot: NAME=FILE, FILE holding JSON lines with ef, recall and qps (fmdb bench --json, or a peer's). Repeatable.",
            valueName: "name=file"))
        var plotSeries: [String] = []

        func validate() throws {
            try OptionRange.check(k, in: OptionRange.k, flag: "--k")
            try OptionRange.check(threads, in: OptionRange.threads, flag: "--threads")
            let parts = ef.split(separator: ",", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.count == efValues.count else {
                throw ValidationError("--ef must be a comma-separated list of integers \(OptionRange.ef.lowerBound)…\(OptionRange.ef.upperBound)")
            }
            for value in efValues { try OptionRange.check(value, in: OptionRange.ef, flag: "--ef") }
            if let cacheMB { try OptionRange.check(cacheMB, in: OptionRange.cacheMB, flag: "--cache-mb") }
            if let streamLength { try OptionRange.check(streamLength, in: OptionRange.streamLength, flag: "--stream-length") }
            try OptionRange.check(passes, in: OptionRange.passes, flag: "--passes")
            guard zipfExponent > 0, zipfExponent <= 100 else { throw ValidationError("--zipf-exponent must be in (0, 100], got \(zipfExponent)") }
            if !plotSeries.isEmpty && plot == nil { throw ValidationError("--plot-series needs --plot FILE") }
            guard plotSeries.count <= 16 else { throw ValidationError("at most 16 --plot-series") }
            for item in plotSeries {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex, item.index(after: equals) != item.endIndex else {
                    throw ValidationError("--plot-series takes NAME=FILE, got \(item)")
                }
            }
        }

        private var efValues: [Int] { ef.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

        func run() throws {
            // the chart's other curves and its file are checked before anything is measured
            let otherSeries = try plotSeries.map { item in
                let equals = item.firstIndex(of: "=") ?? item.endIndex
                return try RecallPlot.series(named: String(item[..<equals]), jsonLinesAt: String(item[item.index(after: equals)...]))
            }
            let plotFile = try plot.map { path throws(VectorFileError) in try OutputFile(path: path) }
            var plotWritten = false
            defer { if !plotWritten { plotFile?.abandon() } }
            var plotted: [RecallPlot.Point] = []
            let queryVectors = try VectorFileReader(path: queries).readAll().map(\.vector)
            guard !queryVectors.isEmpty else { throw CLIError("\(queries) holds no queries") }
            let truthRows = try IVecsFile.read(path: truth)
            guard truthRows.count >= queryVectors.count else {
                throw CLIError("\(truth) has \(truthRows.count) rows for \(queryVectors.count) queries")
            }
            guard truthRows.prefix(queryVectors.count).allSatisfy({ $0.count >= k }) else {
                throw CLIError("\(truth) has rows with fewer than k = \(k) neighbours")
            }
            var expected: [Set<UInt64>] = []
            for (query, row) in truthRows.prefix(queryVectors.count).enumerated() {
                var ids = Set<UInt64>()
                for neighbour in row.prefix(k) {
                    // the truth file's numbers are rows of the imported file: non-negative, and an id once --first-id is added
                    let (id, overflow) = firstID.addingReportingOverflow(UInt64(max(neighbour, 0)))
                    guard neighbour >= 0, !overflow else {
                        throw CLIError("\(truth), row \(query): neighbour \(neighbour) with --first-id \(firstID) is not an id (rows are 0…, ids at most \(UInt64.max))")
                    }
                    ids.insert(id)
                }
                expected.append(ids)
            }
            guard passes * queryVectors.count <= OptionRange.streamLength.upperBound else {
                throw ValidationError("--passes \(passes) × \(queryVectors.count) queries is more than \(OptionRange.streamLength.upperBound) queries")
            }
            let stream = QueryStream.make(workload, queries: queryVectors.count,
                                          length: streamLength ?? 10 * queryVectors.count, exponent: zipfExponent, seed: seed,
                                          repeats: passes)

            if cold && dropPageCache {
                let evicted = PageCache.evict(location.store + "/data.mdb")
                Output.note(evicted ? "evicted data.mdb from the OS page cache" : "could not evict data.mdb from the OS page cache; the start is only process-cold")
            }
            var options = location.options(create: false)
            if let cacheMB { options.cacheBytes = cacheMB << 20 }
            options.prefetch = PrefetchOptions(graph: !noGraphPrefetch, warmStart: !noWarmStart, predictive: !noPredictive)
            options.resultCacheEntries = resultCache ? 1024 : 0
            options.cachePolicy = cachePolicy
            options.cacheFormat = cacheFormat
            // the cost of a start: opening the store and answering one query
            let openStart = DispatchTime.now().uptimeNanoseconds
            let store = try FeatureStore(at: location.url, options: options)
            let opened = DispatchTime.now().uptimeNanoseconds
            let firstQuery = queryVectors[stream[0]]
            _ = try store.nearest(to: firstQuery, count: k, ef: efValues[0])
            let answered = DispatchTime.now().uptimeNanoseconds
            let openMs = Double(opened - openStart) / 1e6, firstQueryMs = Double(answered - opened) / 1e6
            Output.note(String(format: "opened in %.2f ms, first query answered %.2f ms later (%.2f ms in all)",
                               openMs, firstQueryMs, openMs + firstQueryMs))

            if !cold {
                // warm the caches (and catch bad queries) before anything is timed
                for index in stream { _ = try store.nearest(to: queryVectors[index], count: k, ef: efValues[0]) }
            }
            var first100Ms: Double?
            for (position, ef) in efValues.enumerated() {
                let before = store.cacheStatistics
                let run = try measure(store: store, queries: queryVectors, stream: stream, ef: ef)
                let after = store.cacheStatistics
                if cold && position == 0 {
                    first100Ms = run.latencies.prefix(100).reduce(0, +)
                    Output.note(String(format: "first 100 queries after opening: %.2f ms", first100Ms ?? 0))
                }
                var hits = 0
                for (position, ids) in run.results.enumerated() { hits += ids.filter { expected[stream[position]].contains($0) }.count }
                let memory = ProcessMemory.current()
                var line = BenchLine(
                    ef: ef, recall: Double(hits) / Double(stream.count * k),
                    qps: Double(stream.count) / run.seconds,
                    p50Ms: run.latencies.percentile(0.50), p99Ms: run.latencies.percentile(0.99),
                    threads: threads, queries: stream.count, k: k, openMs: openMs, firstQueryMs: firstQueryMs,
                    workload: workload.rawValue, first100Ms: position == 0 ? first100Ms : nil,
                    rssMB: memory.map { Double($0.resident) / 1_048_576 }, rssAnonMB: memory.map { Double($0.anonymous) / 1_048_576 })
                if let before, let after {
                    let lookups = after.lookups - before.lookups
                    line.hitRate = lookups > 0 ? Double(after.hits - before.hits) / Double(lookups) : nil
                    line.prefetchAccuracy = after.prefetchAccuracy
                    for prefetcher in after.prefetchers {
                        line.prefetchers[prefetcher.name] = PrefetcherLine(prefetched: prefetcher.prefetched, used: prefetcher.used, accuracy: prefetcher.accuracy)
                    }
                    line.cacheBudgetMB = Double(after.budgetBytes) / 1_048_576
                    line.cacheMB = Double(after.bytesInUse) / 1_048_576
                    line.cacheTargetMB = Double(after.targetBytes) / 1_048_576
                    line.evictions = after.evictions - before.evictions
                    line.cacheLookupsPerQuery = Double(after.lookups - before.lookups) / Double(max(stream.count, 1))
                    line.resultCacheHits = after.resultCacheHits - before.resultCacheHits
                }
                plotted.append(RecallPlot.Point(ef: ef, recall: line.recall, qps: line.qps))
                if json {
                    try Output.printJSON(line)
                } else {
                    print(String(format: "ef %4d  recall@%d %.4f  %9.1f queries/s  p50 %.3f ms  p99 %.3f ms",
                                 ef, k, line.recall, line.qps, line.p50Ms, line.p99Ms)
                          + (line.hitRate.map { String(format: "  hit rate %.4f", $0) } ?? "")
                          + (line.prefetchAccuracy.map { String(format: "  prefetch accuracy %.3f", $0) } ?? ""))
                }
            }
            if let statistics = store.cacheStatistics, !json {
                let prefetchers = statistics.prefetchers.map(\.summary).joined(separator: ", ")
                Output.note("node cache: \(Output.bytes(statistics.bytesInUse)) in use of target \(Output.bytes(statistics.targetBytes)), budget \(Output.bytes(statistics.budgetBytes)); \(statistics.evictions) evictions; prefetched entries used: \(prefetchers)")
            }
            if saveHotSet {
                try store.saveHotSet()
                Output.note("saved the hot set for the next opening's warm start")
            }
            if let plotFile {
                let chart = RecallPlot(
                    title: "\(URL(fileURLWithPath: location.store).lastPathComponent): recall@\(k) against queries per second, \(threads) thread\(threads == 1 ? "" : "s")",
                    k: k, series: [RecallPlot.Series(name: plotName, points: plotted)] + otherSeries)
                try plotFile.write(Array(chart.svg().utf8))
                try plotFile.commit()
                plotWritten = true
                Output.note("wrote the chart to \(plotFile.path)")
            }
        }

        private struct Run {
            var results: [[UInt64]]
            var latencies: [Double]
            var seconds: Double
        }

        /// Runs the stream's queries at `ef`, split over `threads` threads, timing each.
        private func measure(store: FeatureStore, queries: [[Float]], stream: [Int], ef: Int) throws -> Run {
            let count = stream.count
            let k = self.k
            let threads = min(self.threads, count)
            // each thread keeps its own results and hands them over once, at its end
            let collected = Mutex<[(index: Int, ids: [UInt64], milliseconds: Double)]>([])
            let failure = Mutex<(any Error)?>(nil)
            let started = DispatchTime.now().uptimeNanoseconds
            // each thread takes every threads-th query: no shared counter in the timed loop
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var mine: [(index: Int, ids: [UInt64], milliseconds: Double)] = []
                var index = thread
                while index < count {
                    let begin = DispatchTime.now().uptimeNanoseconds
                    do {
                        let found = try store.nearest(to: queries[stream[index]], count: k, ef: ef)
                        mine.append((index, found.map(\.id), Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6))
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        return
                    }
                    index += threads
                }
                collected.withLock { $0.append(contentsOf: mine) }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if let error = failure.withLock({ $0 }) { throw error }
            let ordered = collected.withLock { $0 }.sorted { $0.index < $1.index }
            return Run(results: ordered.map(\.ids), latencies: ordered.map(\.milliseconds), seconds: seconds)
        }
    }
}

extension Array where Element == Double {
    /// The value at fraction `p` of the sorted values (nearest rank).
    func percentile(_ p: Double) -> Double {
        guard !isEmpty else { return 0 }
        let sorted = self.sorted()
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}

/// One line of `bench --json`.
struct BenchLine: Encodable {
    var ef: Int
    var recall: Double
    var qps: Double
    var p50Ms: Double
    var p99Ms: Double
    var threads: Int
    var queries: Int
    var k: Int
    /// Opening the store, before anything was warmed.
    var openMs: Double
    /// The first query after opening.
    var firstQueryMs: Double
    var workload: String
    /// With --cold, the first 100 queries after opening, summed (first ef only).
    var first100Ms: Double?
    /// Resident memory of the process (file pages of the map included) and its anonymous part.
    var rssMB: Double?
    var rssAnonMB: Double?
    /// Node cache hits ÷ lookups during this ef's pass.
    var hitRate: Double?
    /// Prefetched entries used ÷ entries prefetched, all prefetchers, since opening.
    var prefetchAccuracy: Double?
    var prefetchers: [String: PrefetcherLine] = [:]
    var cacheBudgetMB: Double?
    var cacheMB: Double?
    var cacheTargetMB: Double?
    var evictions: Int?
    /// Layer-0 link and vector lookups in the node cache per query: how much of the graph a search walked.
    var cacheLookupsPerQuery: Double?
    var resultCacheHits: Int?
}

/// One prefetcher's record in `bench --json`.
struct PrefetcherLine: Encodable {
    var prefetched: Int
    var used: Int
    var accuracy: Double?
}

/// `--workload` values.
enum Workload: String, ExpressibleByArgument, CaseIterable {
    case uniform, zipf
}

extension CachePolicy: ExpressibleByArgument {}
extension CacheFormat: ExpressibleByArgument {}
