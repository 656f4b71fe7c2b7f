import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb backup STORE DEST`
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Write a consistent, compacted copy of a store into a new directory, while it stays in use.")

        @OptionGroup var location: StoreArguments

        @Argument(help: "A new or empty directory for the copy.")
        var destination: String

        @Flag(help: "Copy every page, free ones included (faster, larger).")
        var noCompact = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let started = Date()
            // a copy takes the store's environment as it is: durability and the map cap do not apply
            let report = try FeatureStore.backup(from: location.url, to: URL(fileURLWithPath: destination), compact: !noCompact)
            let seconds = Date().timeIntervalSince(started)
            if json {
                try Output.printJSON(BackupResult(
                    destination: destination, bytes: report.copyBytes, sourceBytes: report.sourceBytes, seconds: seconds))
            } else {
                print(String(format: "backed up %@ (%@) to %@ (%@) in %.2f s", location.store, Output.bytes(report.sourceBytes),
                             destination, Output.bytes(report.copyBytes), seconds))
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
