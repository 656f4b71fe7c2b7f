import ArgumentParser
import FeatureMemory
import Foundation
import VectorFiles

extension FMDB {
    /// `fmdb export STORE FILE [--format fvecs|npy|jsonl]`
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write every vector, in id order, to a file.",
            discussion: "fvecs and npy hold the vectors only; jsonl also keeps each id, label and user data (base64). One consistent snapshot is exported.")

        @OptionGroup var location: StoreArguments

        @Argument(help: "The file to write.")
        var file: String

        @Option(help: "fvecs, npy or jsonl (default: from the file's extension).")
        var format: VectorFileFormat?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            guard let format = format ?? VectorFileFormat(inferredFrom: file) else {
                throw VectorFileError.unknownFormat(path: file)
            }
            let store = try location.open()
            let started = Date()
            let rows = try store.read { txn in
                let writer = try VectorFileWriter(path: file, format: format, dimension: store.dimension, rowCount: try txn.count())
                var rows = 0
                try txn.forEach { stored in
                    try writer.write(stored.vector, id: stored.id, label: stored.metadata.label, userData: stored.metadata.userData)
                    rows += 1
                    return true
                }
                try writer.finish()
                return rows
            }
            let seconds = Date().timeIntervalSince(started)
            if json {
                try Output.printJSON(ExportResult(rows: rows, file: file, format: format.rawValue, seconds: seconds))
            } else {
                print(String(format: "exported %d rows to %@ (%@) in %.2f s", rows, file, format.rawValue, seconds))
            }
        }
    }
}

/// What `export --json` prints.
struct ExportResult: Encodable {
    var rows: Int
    var file: String
    var format: String
    var seconds: Double
}
