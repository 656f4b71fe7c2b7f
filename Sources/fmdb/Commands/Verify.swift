import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb verify STORE`
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record's checksum, that ids, records, labels and counters agree, and the graph's invariants.",
            discussion: "Exits 0 when the store is clean, 2 when damage is found, 1 when the store cannot be read.")

        @OptionGroup var location: StoreArguments

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try location.open()
            let report = try store.verify()
            if json {
                try Output.printJSON(VerifyResult(
                    clean: report.isClean, vectorsChecked: report.vectorsChecked,
                    metadataChecked: report.metadataChecked, graphNodesChecked: report.graphNodesChecked,
                    problems: report.problems))
            } else {
                for problem in report.problems { print(problem.description) }
                print(report.isClean
                      ? "clean: \(report.vectorsChecked) vectors, \(report.metadataChecked) metadata records and \(report.graphNodesChecked) graph nodes checked"
                      : "damaged: \(report.problems.count) problems in \(report.vectorsChecked) vectors checked")
            }
            if !report.isClean { throw ExitCode(2) }
        }
    }
}

/// What `verify --json` prints.
struct VerifyResult: Encodable {
    var clean: Bool
    var vectorsChecked: Int
    var metadataChecked: Int
    var graphNodesChecked: Int
    var problems: [VerificationProblem]
}
