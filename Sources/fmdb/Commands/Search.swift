import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation
import VectorFiles

extension FMDB {
    /// `fmdb search STORE --queries FILE [--k 10] [--exact] --json`
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Find the nearest stored vectors to each query.",
            discussion: """
                Queries come from a file (--queries) or from a stored vector (--id; the vector itself is among the results). \
                Results go to stdout, one query per line; timings go to stderr. \
                With --json each line is {"query": i, "ids": [...], "distances": [...]}.
                """)

        @OptionGroup var location: StoreArguments

        @Option(help: "A file of query vectors (fvecs, npy or jsonl).")
        var queries: String?

        @Option(help: "The format of the queries file (default: from its extension).")
        var format: VectorFileFormat?

        @Option(help: "Search with the vector stored under this id.")
        var id: UInt64?

        @Option(help: "Results per query.")
        var k: Int = 10

        @Flag(help: "Exhaustive search (exact results) instead of the HNSW graph.")
        var exact = false

        @Option(help: "Candidates kept while searching the graph (default max(64, k)); higher is slower and more accurate.")
        var ef: Int?

        @Option(help: "Only return vectors with this label.")
        var label: String?

        @Flag(help: "One JSON object per query per line.")
        var json = false

        func validate() throws {
            guard (queries == nil) != (id == nil) else { throw ValidationError("give exactly one of --queries FILE or --id ID") }
            try OptionRange.check(k, in: OptionRange.k, flag: "--k")
            if let ef { try OptionRange.check(ef, in: OptionRange.ef, flag: "--ef") }
        }

        /// Below this many queries the process opens the store without the warm start.
        static let warmStartQueries = 16

        func run() throws {
            let store: FeatureStore
            let vectors: [[Float]]
            if let queries {
                vectors = try VectorFileReader(path: queries, format: format).readAll().map(\.vector)
                store = try vectors.count < Self.warmStartQueries ? location.openForFewSearches() : location.open()
            } else if let id {
                store = try location.openForFewSearches()
                vectors = [try store.get(id).vector]
            } else {
                store = try location.open()
                vectors = []
            }
            var latencies: [Double] = []
            latencies.reserveCapacity(vectors.count)
            let clock = ContinuousClock()
            for (index, query) in vectors.enumerated() {
                var results: [SearchResult] = []
                var skipped: [UInt64] = []
                let elapsed = try clock.measure {
                    let filter = label.map(SearchFilter.label)
                    (results, skipped) = try store.read { txn in
                        let found = exact
                            ? try txn.exactNearest(to: query, count: k, filter: filter)
                            : try txn.nearest(to: query, count: k, ef: ef, filter: filter)
                        return (found, txn.skippedDamagedIDs)
                    }
                }
                latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
                if json {
                    try Output.printJSON(SearchLine(
                        query: index, queryId: id, ids: results.map(\.id), distances: results.map(\.distance),
                        skippedDamaged: skipped.isEmpty ? nil : skipped))
                } else {
                    let hits = results.map { "\($0.id) (\(FixedPoint.format(Double($0.distance), digits: 4)))" }.joined(separator: ", ")
                    print("query \(index): \(hits)")
                }
                if !skipped.isEmpty {
                    Output.note("query \(index): skipped damaged records of ids \(skipped.map(String.init).joined(separator: " ")); run fmdb verify")
                }
            }
            if !latencies.isEmpty {
                let sorted = latencies.sorted()
                let p50 = sorted[sorted.count / 2]
                let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
                let total = latencies.reduce(0, +)
                let kind = exact ? "exact" : "hnsw ef=\(max(ef ?? max(64, k), k))"
                Output.note("\(latencies.count) queries, k=\(k), \(kind): p50 \(FixedPoint.format(p50, digits: 3)) ms, "
                            + "p99 \(FixedPoint.format(p99, digits: 3)) ms, "
                            + "\(FixedPoint.format(Double(latencies.count) / (total / 1e3), digits: 1)) queries/s")
            }
        }
    }
}

/// One line of `search --json`.
struct SearchLine: Encodable {
    var query: Int
    var queryId: UInt64?
    var ids: [UInt64]
    var distances: [Float]
    /// Ids whose records failed their checksum and were left out (only when there are any).
    var skippedDamaged: [UInt64]?
}
