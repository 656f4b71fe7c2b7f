import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb ls STORE`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List ids (ascending) with their labels.")

        @OptionGroup var location: StoreArguments

        @Option(help: "Start at this id.")
        var from: UInt64 = 0

        @Option(help: "List at most this many.")
        var limit: Int?

        @Option(help: "Only ids with this label.")
        var label: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        }

        func run() throws {
            let store = try location.open()
            let entries: [ListEntry] = try store.read { txn in
                let ids: [UInt64]
                if let label {
                    ids = Array(try txn.ids(withLabel: label).filter { $0 >= from }.prefix(limit ?? .max))
                } else {
                    ids = try txn.ids(startingAt: from, limit: limit ?? .max)
                }
                return try ids.map { ListEntry(id: $0, label: try txn.metadata(for: $0).label) }
            }
            if json {
                try Output.printJSON(ListResult(count: entries.count, items: entries))
            } else {
                for entry in entries {
                    print(entry.label.map { "\(entry.id)\t\($0)" } ?? "\(entry.id)")
                }
            }
        }
    }
}

/// One line of `ls`.
struct ListEntry: Encodable {
    var id: UInt64
    var label: String?
}

/// What `ls --json` prints.
struct ListResult: Encodable {
    var count: Int
    var items: [ListEntry]
}
