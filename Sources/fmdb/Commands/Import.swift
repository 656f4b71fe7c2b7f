import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation
import VectorFiles

extension FMDB {
    /// `fmdb import STORE FILE [--format fvecs|npy|jsonl] [--first-id N]`
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import vectors from a file, creating the store when absent.",
            discussion: """
                Ids are the row numbers in the file plus --first-id (JSON lines rows with an "id" use it). \
                Every row is checked first, by the rules a put applies (dimension, finite values, no zero \
                vector under cosine, labels), so a file with a bad row changes nothing and a new store is \
                created only after the whole file passed. Rows are then written in batches of --batch-size, \
                each batch one durable transaction; if writing fails (a full disk), the message says which \
                rows are committed, and a new store whose first batch failed is removed.
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

        @Option(help: "Rows per transaction (1…1000000).")
        var batchSize: Int = 1000

        @Flag(help: "Leave the free pages the import's commits left behind in the file (by default a file they take an eighth of is compacted, when no other process has the store open).")
        var noCompact = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        /// The --batch-size values accepted: a batch is held in memory and written in one transaction.
        static let batchSizeRange = 1...1_000_000

        func validate() throws {
            guard Self.batchSizeRange.contains(batchSize) else {
                throw ValidationError("--batch-size must be \(Self.batchSizeRange.lowerBound)…\(Self.batchSizeRange.upperBound), got \(batchSize)")
            }
        }

        func run() throws {
            let started = Date()
            var (result, compactable) = try importRows(started: started)
            // every row is committed by now: compaction only rewrites the file without the pages
            // copy-on-write left behind, and refuses (changing nothing) when another process has the
            // store open or commits meanwhile, so a refusal is a note, not a failure
            if compactable && !noCompact {
                do {
                    result.compacted = try FeatureStore.compact(at: location.url)
                } catch {
                    result.notCompacted = "\(error)"
                }
                result.seconds = Date().timeIntervalSince(started)
                result.rowsPerSecond = Double(result.rows) / max(result.seconds, 1e-9)
            }
            if json {
                try Output.printJSON(result)
            } else {
                print(String(format: "imported %d rows of dimension %d into %@ in %.2f s: %.0f rows/s (%.2f s writing); store now holds %d",
                             result.rows, result.dimension, location.store, result.seconds, result.rowsPerSecond, result.writeSeconds, result.count))
                if let compacted = result.compacted {
                    print("compacted the free pages away: \(Output.bytes(compacted.bytesBefore)) -> \(Output.bytes(compacted.bytesAfter))")
                } else if let reason = result.notCompacted {
                    print("left the free pages in the file (run fmdb compact later): \(reason)")
                }
            }
        }

        /// Checks and writes the file's rows; the result (timed from `started`), and whether free
        /// pages take an eighth of the file. The store is closed when this returns.
        private func importRows(started: Date) throws -> (ImportResult, compactable: Bool) {
            // An existing store is opened first, so its rules check the file; a new one is created
            // only once the whole file has passed, so a bad file leaves no store behind.
            let existing = try openExisting()
            let checked = try ImportCheck.run(
                file: file, format: format, firstID: firstID, rules: existing?.putRules, metric: existing?.metric ?? metric ?? .l2,
                encoding: existing?.encoding ?? graph.encoding ?? .f32)
            guard let dimension = checked.dimension, checked.rows > 0 else { throw CLIError("\(file): no rows to import") }
            let created = existing == nil ? CreatedPaths(store: location.store) : nil
            let store = try existing ?? FeatureStore(
                at: location.url, options: location.options(
                    dimension: dimension, metric: metric, encoding: graph.encoding, hnsw: graph.parameters, create: true))

            // Pass 2: write in batches.
            let writeStart = Date()
            let committed: Int
            do {
                committed = try write(into: store, rows: checked.rows)
            } catch let failure as ImportFailure {
                let progress = ImportProgress(
                    committedRows: failure.committedRows, totalRows: checked.rows,
                    committedIDs: !checked.idsAreRowNumbers || failure.committedRows == 0
                        ? nil : firstID...(firstID + UInt64(failure.committedRows - 1)))
                var removed = false
                if failure.committedRows == 0, store.wasCreated, let created {
                    // the first write into a store this import created failed: take the store away
                    // again, unless another process has written to it meanwhile
                    removed = (try? store.count()) == 0 && created.remove()
                }
                if json {
                    try Output.printJSON(ImportFailureResult(
                        error: "\(failure.error)", failedRow: failure.failedRow, committedRows: progress.committedRows,
                        rows: progress.totalRows, firstCommittedID: progress.committedIDs?.lowerBound,
                        lastCommittedID: progress.committedIDs?.upperBound, storeRemoved: removed))
                }
                let outcome = removed ? "no row was committed, and the store this import created was removed" : progress.summary
                throw CLIError("import stopped at row \(failure.failedRow): \(failure.error); \(outcome)")
            }
            let writeSeconds = Date().timeIntervalSince(writeStart)
            let totalSeconds = Date().timeIntervalSince(started)
            let result = ImportResult(
                rows: committed, dimension: dimension, seconds: totalSeconds, writeSeconds: writeSeconds,
                rowsPerSecond: Double(committed) / max(totalSeconds, 1e-9), count: try store.count(),
                created: store.wasCreated)
            let fileBytes = try store.mapUsage().fileBytes
            return (result, try store.freeBytes() >= fileBytes / 8)
        }

        /// The store at the path, or nil when there is none (or only an empty LMDB environment).
        private func openExisting() throws -> FeatureStore? {
            do {
                return try FeatureStore(at: location.url, options: location.options(metric: metric, encoding: graph.encoding, hnsw: graph.parameters, create: false))
            } catch StoreError.storeNotFound {
                return nil
            }
        }

        /// Writes every row in batches; returns the rows written. A failure says how many were committed.
        private func write(into store: FeatureStore, rows: Int) throws -> Int {
            let reader = try VectorFileReader(path: file, format: format)
            var progress = ProgressBar(total: rows, label: "importing")
            var batch: [VectorItem] = []
            batch.reserveCapacity(min(batchSize, rows))
            var row = 0, committed = 0
            func flush() throws {
                do {
                    try store.put(batch)
                } catch {
                    var failedRow = committed
                    if case StoreError.batchItem(let index, _)? = error as? StoreError { failedRow += index }
                    throw ImportFailure(error: error, committedRows: committed, failedRow: failedRow)
                }
                committed += batch.count
                batch.removeAll(keepingCapacity: true)
                progress.update(committed)
            }
            defer { progress.finish() }
            do {
                while let next = try reader.next() {
                    batch.append(VectorItem(id: next.id ?? firstID + UInt64(row), vector: next.vector, label: next.label, userData: next.userData))
                    row += 1
                    if batch.count == batchSize { try flush() }
                }
                if !batch.isEmpty { try flush() }
            } catch let error as VectorFileError {
                // the file changed since it was checked: what was committed stays, and is named
                throw ImportFailure(error: error, committedRows: committed, failedRow: row)
            }
            return committed
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
    /// The file before and after the compaction that followed, if one did.
    var compacted: CompactionReport?
    /// Why the compaction the free pages called for did not happen.
    var notCompacted: String?
}
