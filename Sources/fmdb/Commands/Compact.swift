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

        @Flag(help: "Keep the node numbers (a page copy) instead of numbering nodes in graph order, which puts neighbours' records on shared pages.")
        var keepNodeNumbers = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let result = try FeatureStore.compact(at: URL(fileURLWithPath: store), renumber: !keepNodeNumbers)
            if json {
                try Output.printJSON(result)
            } else {
                print("compacted \(store): \(Output.bytes(result.bytesBefore)) -> \(Output.bytes(result.bytesAfter))"
                      + (result.renumbered ? ", nodes renumbered in graph order" : ""))
                if let reason = result.notRenumbered { print("node numbers kept: \(reason) (run fmdb verify)") }
            }
        }
    }
}
