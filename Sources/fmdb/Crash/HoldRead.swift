import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb hold-read STORE`: opens a read transaction and keeps it until killed, for the tests of
    /// stale reader slots (a reader killed with its slot taken).
    struct HoldRead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hold-read",
            abstract: "Open a read transaction, print \"reading\", and hold it until killed.",
            shouldDisplay: false)

        @OptionGroup var location: StoreArguments

        func run() throws {
            let store = try location.open()
            try store.read { txn in
                _ = try txn.count()
                FileHandle.standardOutput.write(Data("reading\n".utf8))
                while true { sleep(60) }
            }
        }
    }
}
