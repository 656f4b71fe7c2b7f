import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb rm STORE ID...`
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove vectors by id: all of them, or none when one is unknown.")

        @OptionGroup var location: StoreArguments

        @Argument(help: "The ids to remove.")
        var ids: [UInt64]

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("name at least one id") }
        }

        func run() throws {
            let store = try location.open()
            do {
                try store.delete(ids)
            } catch StoreError.batchItem(_, let error) {
                throw error
            }
            if json {
                try Output.printJSON(RemoveResult(removed: ids))
            } else {
                print("removed \(ids.map(String.init).joined(separator: " "))")
            }
        }
    }
}

/// What `rm --json` prints.
struct RemoveResult: Encodable {
    var removed: [UInt64]
}
