import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb read-loop STORE --stop FILE`: the reader of `fmdb crash-test --with-reader`.
    struct ReadLoop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read-loop",
            abstract: "Search a store in a loop until FILE exists, checking every answer; print a JSON summary.",
            shouldDisplay: false)

        @Argument(help: "The store's directory.")
        var store: String

        @Option(help: "Stop when this file exists.")
        var stop: String

        func run() throws {
            var random = SeededGenerator(seed: 99)
            var summary = ReadLoopSummary()
            var store: FeatureStore?
            while !FileManager.default.fileExists(atPath: stop) {
                do {
                    if store == nil {
                        // the writer may not have created it yet
                        guard FileManager.default.fileExists(atPath: self.store + "/data.mdb") else {
                            usleep(1_000)
                            continue
                        }
                        store = try FeatureStore(at: URL(fileURLWithPath: self.store), options: StoreOptions(createIfMissing: false))
                    }
                    guard let store else { continue }
                    let query = (0..<8).map { _ in Float(Int(random.next() % 2001) - 1000) / 100 }
                    try store.read { txn in
                        let count = try txn.count()
                        let hits = try txn.nearest(to: query, count: 5)
                        // the answer must be whole and of this snapshot, whatever the writer is doing
                        guard hits.count == min(5, count) else {
                            throw CLIError("\(hits.count) results from a store of \(count)")
                        }
                        for hit in hits where !(try txn.contains(hit.id)) {
                            throw CLIError("result \(hit.id) is not in the snapshot")
                        }
                    }
                    summary.searches += 1
                } catch StoreError.storeNotFound {
                    usleep(1_000)
                } catch {
                    summary.errors += 1
                    if summary.firstError == nil { summary.firstError = "\(error)" }
                }
            }
            try Output.printJSON(summary)
        }
    }
}

/// What `read-loop` prints when it stops.
struct ReadLoopSummary: Codable {
    var searches = 0
    var errors = 0
    var firstError: String?
}
