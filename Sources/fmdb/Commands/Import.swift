import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb import STORE FILE [--format fvecs|npy|jsonl] [--first-id N]`
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import vectors from a file, creating the store when absent.",
            discussion: """
                Ids are the row numbers in the file plus --first-id (JSON lines rows with an "id" use it). \
                The whole file is checked before anything is written, so a malformed file changes nothing. \
                Rows are written in batches of --batch-size, each batch one durable transaction.
                """)

        @OptionGroup var location: StoreArguments

        @OptionGroup var graph: GraphArguments

        @Argument(help: "The file to import.")
        var file: String

        @Option(help: "fvecs, npy or jsonl (default: from the file's extension).")
        var format: VectorFileFormat?

        @Option(help: "The id of the file's first row.")
        var firstID: UInt64 = 0

        @Option(help: "Metric when the import creates the store: l2, cosine or ip.")
        var metric: Metric?

        @Option(help: "Rows per transaction.")
        var batchSize: Int = 1000

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        }

        func run() throws {
            let started = Date()
            // Pass 1: read and check every row, so a bad file changes nothing.
            let checked = try checkFile()
            guard let dimension = checked.dimension else { throw CLIError("\(file): no rows to import") }
            let store = try FeatureStore(
                at: location.url, options: location.options(dimension: dimension, metric: metric, hnsw: graph.parameters, create: true))
            if store.metric == .cosine, let row = checked.firstZeroRow {
                throw CLIError("\(file), row \(row): vector is all zeros; the cosine metric cannot compare it")
            }

            // Pass 2: write in batches.
            let reader = try VectorFileReader(path: file, format: format)
            var progress = ProgressBar(total: checked.rows, label: "importing")
            var batch: [VectorItem] = []
            batch.reserveCapacity(batchSize)
            var row = 0
            let writeStart = Date()
            while let next = try reader.next() {
                batch.append(VectorItem(id: next.id ?? firstID + UInt64(row), vector: next.vector, label: next.label))
                row += 1
                if batch.count == batchSize {
                    try store.put(batch)
                    batch.removeAll(keepingCapacity: true)
                    progress.update(row)
                }
            }
            if !batch.isEmpty { try store.put(batch) }
            progress.finish()
            let writeSeconds = Date().timeIntervalSince(writeStart)
            let totalSeconds = Date().timeIntervalSince(started)
            let result = ImportResult(
                rows: row, dimension: dimension, seconds: totalSeconds, writeSeconds: writeSeconds,
                rowsPerSecond: Double(row) / max(totalSeconds, 1e-9), count: try store.count(),
                created: store.wasCreated)
            if json {
                try Output.printJSON(result)
            } else {
                print(String(format: "imported %d rows of dimension %d into %@ in %.2f s: %.0f rows/s (%.2f s writing); store now holds %d",
                             row, dimension, location.store, totalSeconds, result.rowsPerSecond, writeSeconds, result.count))
            }
        }

        private struct Checked {
            var rows = 0
            var dimension: Int?
            var firstZeroRow: Int?
        }

        private func checkFile() throws -> Checked {
            let reader = try VectorFileReader(path: file, format: format)
            var checked = Checked()
            while let next = try reader.next() {
                for (index, x) in next.vector.enumerated() where !x.isFinite {
                    throw CLIError("\(file), row \(checked.rows): element \(index) is not a finite number")
                }
                if let label = next.label, label.isEmpty || label.utf8.count > StoreOptions.maximumLabelBytes {
                    throw CLIError("\(file), row \(checked.rows): label must be 1…\(StoreOptions.maximumLabelBytes) bytes")
                }
                if next.id == nil, UInt64.max - firstID < UInt64(checked.rows) {
                    throw CLIError("\(file), row \(checked.rows): id overflows (--first-id \(firstID) + row)")
                }
                if checked.firstZeroRow == nil, next.vector.allSatisfy({ $0 == 0 }) { checked.firstZeroRow = checked.rows }
                checked.rows += 1
            }
            checked.dimension = reader.dimension
            return checked
        }
    }
}

/// What `import --json` prints.
struct ImportResult: Encodable {
    var rows: Int
    var dimension: Int
    var seconds: Double
    var writeSeconds: Double
    var rowsPerSecond: Double
    var count: Int
    var created: Bool
}
