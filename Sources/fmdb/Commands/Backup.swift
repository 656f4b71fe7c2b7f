import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb backup STORE DEST`
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent, compacted copy of a store into a new directory, while it stays in use.")

        @OptionGroup var location: StoreArguments

        @Argument(help: "A new or empty directory for the copy.")
        var destination: String

        @Flag(help: "Copy every page, free ones included (faster, larger).")
        var noCompact = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try location.open()
            let started = Date()
            try store.backup(to: URL(fileURLWithPath: destination), compact: !noCompact)
            let seconds = Date().timeIntervalSince(started)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: destination + "/data.mdb")[.size] as? Int) ?? 0
            let sourceBytes = try store.statistics().fileBytes
            if json {
                try Output.printJSON(BackupResult(destination: destination, bytes: bytes, sourceBytes: sourceBytes, seconds: seconds))
            } else {
                print(String(format: "backed up %@ (%@) to %@ (%@) in %.2f s", location.store, Output.bytes(sourceBytes),
                             destination, Output.bytes(bytes), seconds))
            }
        }
    }
}

/// What `backup --json` prints.
struct BackupResult: Encodable {
    var destination: String
    var bytes: Int
    var sourceBytes: Int
    var seconds: Double
}
