import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb put STORE ID --vector "1,2,3" [--label L]`
    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put", abstract: "Store one vector under an id, replacing what it held.")

        @OptionGroup var location: StoreArguments

        @Argument(help: "The vector's id.")
        var id: UInt64

        @Option(parsing: .unconditional, help: "Comma-separated values, e.g. \"0.1,-0.2,0.3\".")
        var vector: String

        @Option(help: "A label for the vector.")
        var label: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let values = try Self.parse(vector)
            let store = try location.open()
            let existed = try store.contains(id)
            try store.put(values, for: id, label: label)
            if json {
                try Output.printJSON(PutResult(id: id, replaced: existed))
            } else {
                print(existed ? "replaced \(id)" : "stored \(id)")
            }
        }

        /// The floats of a comma-separated list.
        static func parse(_ text: String) throws -> [Float] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            return try parts.enumerated().map { index, part in
                let trimmed = part.trimmingCharacters(in: .whitespaces)
                guard let value = Float(trimmed) else {
                    throw ValidationError("--vector element \(index) (\"\(trimmed)\") is not a number")
                }
                return value
            }
        }
    }
}

/// What `put --json` prints.
struct PutResult: Encodable {
    var id: UInt64
    var replaced: Bool
}
