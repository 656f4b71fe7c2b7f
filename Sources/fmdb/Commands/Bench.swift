import ArgumentParser
import Dispatch
import FeatureMemory
import Foundation
import Synchronization

extension FMDB {
    /// `fmdb bench STORE --queries Q.fvecs --truth GT.ivecs [--k 10] [--ef 16,32,64,128,256] [--json] [--threads N]`
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
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

        func validate() throws {
            guard k > 0 else { throw ValidationError("--k must be at least 1") }
            guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
            guard !efValues.isEmpty, efValues.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--ef must be a comma-separated list of positive integers")
            }
        }

        private var efValues: [Int] { ef.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

        func run() throws {
            let queryVectors = try VectorFileReader(path: queries).readAll().map(\.vector)
            guard let firstQuery = queryVectors.first else { throw CLIError("\(queries) holds no queries") }
            // the cost of a cold start: opening the store and answering one query
            let openStart = DispatchTime.now().uptimeNanoseconds
            let store = try location.open()
            let opened = DispatchTime.now().uptimeNanoseconds
            _ = try store.nearest(to: firstQuery, count: k, ef: efValues[0])
            let answered = DispatchTime.now().uptimeNanoseconds
            let openMs = Double(opened - openStart) / 1e6, firstQueryMs = Double(answered - opened) / 1e6
            Output.note(String(format: "opened in %.2f ms, first query answered %.2f ms later (%.2f ms in all)",
                               openMs, firstQueryMs, openMs + firstQueryMs))
            let truthRows = try IVecsFile.read(path: truth)
            guard truthRows.count >= queryVectors.count else {
                throw CLIError("\(truth) has \(truthRows.count) rows for \(queryVectors.count) queries")
            }
            guard truthRows.prefix(queryVectors.count).allSatisfy({ $0.count >= k }) else {
                throw CLIError("\(truth) has rows with fewer than k = \(k) neighbours")
            }
            let expected = truthRows.prefix(queryVectors.count).map { Set($0.prefix(k).map { firstID + UInt64($0) }) }

            // warm the page cache (and catch bad queries) before anything is timed
            for query in queryVectors { _ = try store.nearest(to: query, count: k, ef: efValues[0]) }

            for ef in efValues {
                let before = store.cacheStatistics
                let run = try measure(store: store, queries: queryVectors, ef: ef)
                let after = store.cacheStatistics
                if let before, let after {
                    Output.note("cache: \(after.hits - before.hits) hits of \(after.lookups - before.lookups) lookups, \(after.entries) entries, \(after.bytesInUse >> 20) MiB of target \(after.targetBytes >> 20) MiB")
                }
                var hits = 0
                for (index, ids) in run.results.enumerated() { hits += ids.filter { expected[index].contains($0) }.count }
                let line = BenchLine(
                    ef: ef, recall: Double(hits) / Double(queryVectors.count * k),
                    qps: Double(queryVectors.count) / run.seconds,
                    p50Ms: run.latencies.percentile(0.50), p99Ms: run.latencies.percentile(0.99),
                    threads: threads, queries: queryVectors.count, k: k, openMs: openMs, firstQueryMs: firstQueryMs)
                if json {
                    try Output.printJSON(line)
                } else {
                    print(String(format: "ef %4d  recall@%d %.4f  %9.1f queries/s  p50 %.3f ms  p99 %.3f ms",
                                 ef, k, line.recall, line.qps, line.p50Ms, line.p99Ms))
                }
            }
        }

        private struct Run {
            var results: [[UInt64]]
            var latencies: [Double]
            var seconds: Double
        }

        /// Runs every query at `ef`, split over `threads` threads, timing each.
        private func measure(store: FeatureStore, queries: [[Float]], ef: Int) throws -> Run {
            let count = queries.count
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
                        let found = try store.nearest(to: queries[index], count: k, ef: ef)
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
}
