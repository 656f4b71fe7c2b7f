import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb model-test [--steps 1000] [--seed S] [--json]`: random writes against an in-memory
    /// reference, checked after every step.
    struct ModelTest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model-test",
            abstract: "Run random writes against an in-memory reference model and check the store after every step.",
            discussion: """
                Each step is one of: a put, a batch put (1 to --max-batch items, with upserts of stored ids and ids \
                repeated in the batch), a delete, a batch delete, a transaction mixing puts, updates, labels and \
                deletes, a batch or transaction that fails and must change nothing, two store objects writing at \
                once from two threads, another fmdb process importing or removing (beside a write of this one), \
                a backup checked against the model, or a compaction. After every step the store must hold exactly \
                the model's ids, vectors and labels, verify must find it clean, and searches for stored vectors \
                must find their ids. The last line is a JSON summary; a failure prints the seed to replay.
                """)

        @Option(help: "Steps to run.")
        var steps: Int = 1_000

        @Option(help: "Seed of the operations (default: random).")
        var seed: UInt64?

        @Option(help: "Floats per vector.")
        var dimension: Int = 16

        @Option(help: "Ids are drawn from 0..<N.")
        var idSpace: Int = 3_000

        @Option(help: "The largest batch.")
        var maxBatch: Int = 2_000

        @Option(help: "HNSW M of the store.")
        var m: Int = 8

        @Option(help: "HNSW efConstruction of the store.")
        var efConstruction: Int = 48

        @Option(help: "Store directory (default: a temporary one, removed at the end).")
        var store: String?

        @Flag(help: "Leave out the steps that run other fmdb processes.")
        var noProcesses = false

        @Flag(help: "Print each operation on stderr before it runs.")
        var trace = false

        @Flag(help: "Print only the JSON summary.")
        var json = false

        func validate() throws {
            guard (1...1_000_000).contains(steps) else { throw ValidationError("--steps must be 1…1,000,000") }
            guard (2...1_024).contains(dimension) else { throw ValidationError("--dimension must be 2…1,024") }
            guard (10...10_000_000).contains(idSpace) else { throw ValidationError("--id-space must be 10…10,000,000") }
            guard (1...20_000).contains(maxBatch) else { throw ValidationError("--max-batch must be 1…20,000") }
            try OptionRange.check(m, in: HNSWParameters.mRange, flag: "--m")
            try OptionRange.check(efConstruction, in: HNSWParameters.efConstructionRange(m: m), flag: "--ef-construction")
        }

        func run() throws {
            let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
            let directory = store.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-model-\(seed)-\(UUID().uuidString)")
            defer { if store == nil { try? FileManager.default.removeItem(at: directory) } }
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            let run = try ModelRun(
                directory: directory, seed: seed, dimension: dimension, idSpace: idSpace, maxBatch: maxBatch,
                hnsw: HNSWParameters(m: m, efConstruction: efConstruction),
                binary: noProcesses ? nil : binary)
            run.trace = trace
            let started = Date()
            var failure: String?
            for step in 0..<steps {
                do {
                    try run.step()
                } catch {
                    failure = "step \(step) (\(run.lastOperation)): \(error)"
                    break
                }
                if !json && step % 500 == 499 {
                    print("\(step + 1) steps, \(run.model.ids.count) ids stored (seed \(seed))")
                }
            }
            let summary = ModelSummary(
                seed: seed, steps: run.stepsRun, failures: failure == nil ? 0 : 1, operations: run.operationCounts,
                largestStore: run.largestStore, seconds: Date().timeIntervalSince(started), failure: failure)
            if let failure, !json { print("FAILED at \(failure) (replay with --seed \(seed))") }
            try Output.printJSON(summary)
            if failure != nil { throw ExitCode(1) }
        }
    }
}

/// What `model-test` prints last.
struct ModelSummary: Encodable {
    var seed: UInt64
    var steps: Int
    var failures: Int
    var operations: [String: Int]
    var largestStore: Int
    var seconds: Double
    var failure: String?
}
