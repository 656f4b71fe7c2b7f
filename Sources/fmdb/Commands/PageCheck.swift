import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb page-check STORE`: the page check an opening makes, timed, for measuring its cost.
    struct PageCheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "page-check",
            abstract: "Check the store file's pages as an opening does and print how long it took.",
            shouldDisplay: false)

        @Argument(help: "The store's directory.")
        var store: String

        @Flag(help: "Read only the main tree and the branch pages, as an opening does above 1 GiB.")
        var branchPages = false

        @Option(help: "Runs to time (the median is printed).")
        var runs = 5

        func run() throws {
            guard (1...1000).contains(runs) else { throw ValidationError("--runs must be 1…1000") }
            var seconds: [Double] = []
            var damage: [PageDamage] = []
            for _ in 0..<runs {
                let started = Date()
                damage = try FeatureStore.checkPages(at: URL(fileURLWithPath: store), everyPage: !branchPages)
                seconds.append(Date().timeIntervalSince(started))
            }
            seconds.sort()
            try Output.printJSON(PageCheckResult(
                everyPage: !branchPages, medianMs: seconds[seconds.count / 2] * 1000, minMs: seconds[0] * 1000,
                damage: damage.map(\.description)))
        }
    }
}

/// What `page-check` prints.
struct PageCheckResult: Encodable {
    var everyPage: Bool
    var medianMs: Double
    var minMs: Double
    var damage: [String]
}
