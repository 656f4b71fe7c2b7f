import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb crash-writer STORE --seed S --from B`: the child of `fmdb crash-test`.
    struct CrashWriter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crash-writer",
            abstract: "Apply crash-test batches from --from on, printing \"committed B\" after each commit returns.",
            shouldDisplay: false)

        @Argument(help: "The store's directory.")
        var store: String

        @Option(help: "The workload's seed.")
        var seed: UInt64

        @Option(help: "The first batch to apply.")
        var from: Int = 0

        @Option(help: "How many batches to apply before exiting.")
        var batches: Int = 1_000_000

        @Option(help: "Durability: full, no-meta-sync or no-sync.")
        var durability: DurabilityArgument = .full

        func validate() throws {
            try OptionRange.check(from, in: OptionRange.batchNumber, flag: "--from")
            try OptionRange.check(batches, in: OptionRange.batchNumber, flag: "--batches")
        }

        func run() throws {
            let workload = CrashTest.workload(seed: seed)
            // a small map, so that writes grow it often and kills land during growth too
            let store = try FeatureStore(at: URL(fileURLWithPath: self.store), options: StoreOptions(
                dimension: workload.dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 32),
                durability: durability.value, initialMapSize: 1 << 20))
            for batch in from..<(from + batches) {
                try workload.apply(batch: batch, to: store)
                // the acknowledgement, written straight to the pipe only after the commit returned
                FileHandle.standardOutput.write(Data("committed \(batch)\n".utf8))
            }
        }
    }
}
