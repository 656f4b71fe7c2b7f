import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb crash-test [--iterations 50] [--seed S] [--json]`: kill -9 a writer over and over and
    /// check that every acknowledged batch survives and no batch is half applied.
    struct CrashTest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crash-test",
            abstract: "Kill a writing child with SIGKILL at random moments and check the store after each kill.",
            discussion: """
                The child (fmdb crash-writer) applies deterministic batches of puts, updates and deletes, printing \
                "committed B" after each commit returns. After each kill the store is reopened and must hold exactly \
                the acknowledged batches, or those plus the next one whole; verify must find it clean and a search \
                must answer. The last line is a JSON summary; a failure prints the seed to replay.
                """)

        @Option(help: "Kills to perform.")
        var iterations: Int = 50

        @Option(help: "Seed of the workload and of the kill times (default: random).")
        var seed: UInt64?

        @Option(help: "The longest wait before a kill, in milliseconds.")
        var maxDelayMs: Int = 150

        @Option(help: "Durability the child writes with: full, no-meta-sync or no-sync.")
        var durability: DurabilityArgument = .full

        @Option(help: "Store directory (default: a temporary one, removed at the end).")
        var store: String?

        @Flag(help: "Also run a reader process that searches the store in a loop through every kill and restart.")
        var withReader = false

        @Flag(help: "Print only the JSON summary.")
        var json = false

        /// The workload every crash test uses for `seed`.
        static func workload(seed: UInt64) -> CrashWorkload {
            CrashWorkload(seed: seed, dimension: 8, idSpace: 400)
        }

        func validate() throws {
            try OptionRange.check(iterations, in: OptionRange.iterations, flag: "--iterations")
            try OptionRange.check(maxDelayMs, in: OptionRange.maxDelayMs, flag: "--max-delay-ms")
        }

        func run() throws {
            let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
            let workload = Self.workload(seed: seed)
            let directory = store.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-crash-\(seed)-\(UUID().uuidString)")
            defer { if store == nil { try? FileManager.default.removeItem(at: directory) } }
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            var timing = SeededGenerator(seed: seed ^ 0x5EED)
            var summary = CrashSummary(seed: seed)
            var state: [UInt64: [Float]] = [:]
            var committed = -1          // the last batch known to be in the store
            let stopFile = directory.path + ".stop-reader"
            var reader: (process: Process, output: Pipe)?
            if withReader {
                try? FileManager.default.removeItem(atPath: stopFile)
                let process = Process()
                process.executableURL = binary
                process.arguments = ["read-loop", directory.path, "--stop", stopFile]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                reader = (process, output)
            }

            for iteration in 0..<iterations {
                let child = Process()
                child.executableURL = binary
                child.arguments = ["crash-writer", directory.path, "--seed", "\(seed)", "--from", "\(committed + 1)",
                                   "--durability", durability.rawValue]
                let output = Pipe()
                child.standardOutput = output
                child.standardError = FileHandle.nullDevice
                try child.run()
                usleep(useconds_t(1_000 + Int(timing.next() % UInt64(maxDelayMs * 1_000))))
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
                let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let acknowledged = printed.split(separator: "\n").compactMap { line in
                    line.hasPrefix("committed ") ? Int(line.dropFirst(10)) : nil
                }.max() ?? committed
                summary.kills += 1
                summary.acknowledged += max(0, acknowledged - committed)
                summary.acknowledgedOperations += (committed + 1..<(acknowledged + 1)).reduce(0) {
                    $0 + workload.operations(ofBatch: $1).count
                }

                var expected = state
                for batch in (committed + 1)..<(acknowledged + 1) { workload.apply(batch: batch, to: &expected) }
                var withNext = expected
                workload.apply(batch: acknowledged + 1, to: &withNext)

                let outcome = check(directory: directory, expected: expected, withNext: withNext, anythingCommitted: acknowledged >= 0)
                switch outcome {
                case .matches:
                    state = expected
                    committed = acknowledged
                case .matchesWithNext:
                    state = withNext
                    committed = acknowledged + 1
                case .neverCreated:
                    break
                case let .failed(kind, detail):
                    summary.record(kind)
                    if !json { print("iteration \(iteration): \(kind): \(detail) (replay with --seed \(seed))") }
                    // go on from what the store holds, so one failure does not cascade
                    if let actual = try? contents(of: directory) { state = actual }
                    committed = acknowledged + 1
                }
                if !json && iteration % 50 == 49 {
                    print("\(iteration + 1) kills: \(summary.acknowledged) batches acknowledged, \(summary.failures) failures")
                }
            }
            if let reader {
                _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
                let printed = reader.output.fileHandleForReading.readDataToEndOfFile()
                reader.process.waitUntilExit()
                try? FileManager.default.removeItem(atPath: stopFile)
                if let loop = try? JSONDecoder.snakeCase.decode(ReadLoopSummary.self, from: printed) {
                    summary.readerSearches = loop.searches
                    summary.readerErrors = loop.errors
                    if loop.errors > 0, !json { print("reader: \(loop.errors) errors, first: \(loop.firstError ?? "?")") }
                } else {
                    summary.readerErrors = 1
                    if !json { print("reader: exited \(reader.process.terminationStatus) without a summary") }
                }
            }
            if !json {
                print("\(summary.kills) kills, \(summary.acknowledged) batches (\(summary.acknowledgedOperations) operations) acknowledged, "
                      + "\(summary.lost) lost, \(summary.halfApplied) half applied, \(summary.failedOpen) failed to open, "
                      + "\(summary.failedVerify) failed verify, seed \(seed)")
            }
            try Output.printJSON(summary)
            if summary.failures > 0 { throw ExitCode(1) }
        }

        private enum Outcome {
            case matches, matchesWithNext, neverCreated
            case failed(CrashSummary.Failure, String)
        }

        private func contents(of directory: URL) throws -> [UInt64: [Float]] {
            let store = try FeatureStore(at: directory, options: StoreOptions(createIfMissing: false))
            var items: [UInt64: [Float]] = [:]
            try store.read { txn in
                try txn.forEach { item in
                    items[item.id] = item.vector
                    return true
                }
            }
            return items
        }

        private func check(directory: URL, expected: [UInt64: [Float]], withNext: [UInt64: [Float]], anythingCommitted: Bool) -> Outcome {
            let store: FeatureStore
            do {
                store = try FeatureStore(at: directory, options: StoreOptions(createIfMissing: false))
            } catch StoreError.storeNotFound where !anythingCommitted {
                return .neverCreated
            } catch {
                return .failed(.failedOpen, "\(error)")
            }
            do {
                let actual = try contents(of: directory)
                let outcome: Outcome
                if actual == expected {
                    outcome = .matches
                } else if actual == withNext {
                    outcome = .matchesWithNext
                } else if expected.contains(where: { actual[$0.key] == nil }) && withNext.contains(where: { actual[$0.key] == nil }) {
                    return .failed(.lost, "\(expected.count) ids expected, \(actual.count) found")
                } else {
                    return .failed(.halfApplied, "the store matches neither the acknowledged batches nor those plus the next")
                }
                let report = try store.verify()
                guard report.isClean else {
                    return .failed(.failedVerify, report.problems.prefix(3).map(\.description).joined(separator: "; "))
                }
                if !actual.isEmpty {
                    let hits = try store.nearest(to: [Float](repeating: 0, count: 8), count: 5)
                    guard hits.count == min(5, actual.count) else {
                        return .failed(.failedVerify, "search returned \(hits.count) results")
                    }
                }
                return outcome
            } catch {
                return .failed(.failedVerify, "\(error)")
            }
        }
    }
}

/// What `crash-test` prints last: `{"kills": 1000, "acknowledged": N, "lost": 0, ...}`.
struct CrashSummary: Encodable {
    /// A way a crash can hurt.
    enum Failure { case lost, halfApplied, failedOpen, failedVerify }

    var kills = 0
    /// Batches acknowledged (each one transaction).
    var acknowledged = 0
    /// Operations in those batches.
    var acknowledgedOperations = 0
    var lost = 0
    var halfApplied = 0
    var failedOpen = 0
    var failedVerify = 0
    /// Searches the reader process answered (with --with-reader).
    var readerSearches: Int?
    /// Searches of the reader that failed or returned something wrong.
    var readerErrors: Int?
    var seed: UInt64

    init(seed: UInt64) { self.seed = seed }

    var failures: Int { lost + halfApplied + failedOpen + failedVerify + (readerErrors ?? 0) }

    mutating func record(_ failure: Failure) {
        switch failure {
        case .lost: lost += 1
        case .halfApplied: halfApplied += 1
        case .failedOpen: failedOpen += 1
        case .failedVerify: failedVerify += 1
        }
    }

    enum CodingKeys: String, CodingKey {
        case kills, acknowledged, acknowledgedOperations, lost, halfApplied, failedOpen, failedVerify, readerSearches,
             readerErrors, seed
    }
}

extension JSONDecoder {
    /// A decoder for the snake_case JSON that `Output.printJSON` writes.
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
