import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb compact STORE`
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compact",
            abstract: "Rewrite a store without its free pages, in place. The store must not be open elsewhere.")

        @Argument(help: "The store's directory.")
        var store: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let result = try FeatureStore.compact(at: URL(fileURLWithPath: store))
            if json {
                try Output.printJSON(result)
            } else {
                print("compacted \(store): \(Output.bytes(result.bytesBefore)) -> \(Output.bytes(result.bytesAfter))")
            }
        }
    }
}
