import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb stats STORE`
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show counts, sizes, compression ratio, page use per table and readers.")

        @OptionGroup var location: StoreArguments

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Option(help: "Stored vectors searched as queries, through the graph and exhaustively, to estimate recall@10 (0: skip).")
        var recallSample = 100

        @Option(help: "The ef of the graph searches of the recall estimate.")
        var ef = 64

        func validate() throws {
            try OptionRange.check(recallSample, in: 0...100_000, flag: "--recall-sample")
            try OptionRange.check(ef, in: 1...100_000, flag: "--ef")
        }

        func run() throws {
            // no node cache, so no prefetch thread whose warm-start read would count among the
            // readers in use
            var options = location.options(create: false)
            options.cacheBytes = 0
            let store = try FeatureStore(at: location.url, options: options)
            let s = try store.statistics()
            let recall = try RecallSample.measure(store, count: recallSample, ef: ef)
            if json {
                try Output.printJSON(StatsReport(s, recall: recall))
                return
            }
            print("""
                vectors:            \(s.count) × \(s.dimension) (\(s.metric.rawValue)), format \(s.formatVersion)
                vector bytes:       \(Output.bytes(s.rawVectorBytes)) as float32, \(Output.bytes(s.storedVectorBytes)) stored as \(s.encoding.rawValue)
                compression ratio:  \(String(format: "%.3f", s.compressionRatio)) (\(s.compressedRecords) of \(s.count) records LZ4-compressed)
                file:               \(Output.bytes(s.fileBytes)) on disk, \(Output.bytes(s.usedBytes)) in use, map \(Output.bytes(s.mapBytes))
                pages:              \(s.pageSize) bytes each, \(s.freePages) free for reuse
                readers:            \(s.readersInUse) of \(s.maxReaders) slots in use, \(s.staleReadersCleared) stale cleared at open
                last transaction:   \(s.lastTransactionID)
                """)
            if let estimate = recall.recall {
                print("recall estimate:    \(String(format: "%.3f", estimate)) (recall@\(recall.k) at ef \(recall.ef), \(recall.queries) stored vectors as queries)")
            }
            print("warm start:         hot set of \(s.hotSetNodes) nodes, image of \(s.cacheImageEntries) cache entries saved")
            if let c = s.savedCacheStatistics {
                let prefetchers = c.prefetchers.map(\.summary).joined(separator: ", ")
                print("node cache (saved): hit rate \(c.hitRate.map { String(format: "%.4f", $0) } ?? "-") of \(c.lookups) lookups, \(c.evictions) evictions, "
                      + "\(Output.bytes(c.bytesInUse)) in use, target \(Output.bytes(c.targetBytes)), budget \(Output.bytes(c.budgetBytes))")
                print("                    prefetch accuracy \(c.prefetchAccuracy.map { String(format: "%.3f", $0) } ?? "-"): \(prefetchers)")
            }
            let header = "table".padding(toLength: 12, withPad: " ", startingAt: 0)
            let perVector = StatsReport.bytesPerVector(byTable: s)
            func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            func share(_ name: String) -> String { right(perVector[name].map { String(format: "%.1f", $0) } ?? "-", 12) }
            print("\n\(header)  entries   depth  branch    leaf  overflow      bytes  bytes/vector")
            for t in s.tables {
                print(t.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "  %7d  %6d  %6d  %6d  %8d  ", t.entries, t.depth, t.branchPages, t.leafPages, t.overflowPages)
                      + right(Output.bytes(t.bytes), 9) + "  " + share(t.name))
            }
            let free = Output.bytes(s.freePages * s.pageSize)
            print("free pages".padding(toLength: 12, withPad: " ", startingAt: 0)
                  + String(format: "  %7d  ", s.freePages) + String(repeating: " ", count: 32) + right(free, 9) + "  " + share("free"))
            if s.count > 0 {
                print(String(format: "file: %.1f bytes per vector", Double(s.fileBytes) / Double(s.count)))
            }
        }
    }
}
