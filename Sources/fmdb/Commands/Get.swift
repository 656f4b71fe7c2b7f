import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb get STORE ID`
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one vector with its metadata.")

        @OptionGroup var location: StoreArguments

        @Argument(help: "The vector's id.")
        var id: UInt64

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try location.open()
            let stored = try store.get(id)
            let m = stored.metadata
            if json {
                try Output.printJSON(GetResult(
                    id: stored.id, label: m.label, vector: stored.vector,
                    userDataBase64: m.userData?.base64EncodedString(), support: m.support,
                    confidence: m.confidence, createdAt: m.creationDate.timeIntervalSince1970,
                    updatedAt: m.modificationDate.timeIntervalSince1970))
            } else {
                print("id:         \(stored.id)")
                print("label:      \(m.label ?? "-")")
                print("support:    \(m.support)")
                print("confidence: \(m.confidence)")
                print("created:    \(Output.date(m.creationDate))")
                print("updated:    \(Output.date(m.modificationDate))")
                if let data = m.userData { print("user data:  \(data.count) bytes") }
                print("vector:     " + stored.vector.map { "\($0)" }.joined(separator: ","))
            }
        }
    }
}

/// What `get --json` prints.
struct GetResult: Encodable {
    var id: UInt64
    var label: String?
    var vector: [Float]
    var userDataBase64: String?
    var support: UInt32
    var confidence: Float
    /// Seconds since 1970, as the JSON has always carried them.
    var createdAt: Double
    /// Seconds since 1970.
    var updatedAt: Double
}
