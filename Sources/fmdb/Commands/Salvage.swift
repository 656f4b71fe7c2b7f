import ArgumentParser
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb salvage STORE DEST`
    struct Salvage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "salvage",
            abstract: "Copy every readable vector of a damaged store, with its metadata, into a new store and rebuild its graph.",
            discussion: """
                Reads the store's file page by page, never through LMDB, so it works when pages are \
                damaged or the file is truncated: the trees are read from the current meta page where \
                they are intact, and for a damaged subtree the other pages are scanned for records \
                whose checksums verify, within the ids that subtree held. Prints what was recovered \
                and what was lost. DEST must be new or an empty directory; a failed salvage leaves \
                nothing there. Exits 0 when the new store is written, 1 when nothing could be. Run it \
                on a store no process is writing: it reads without a reader slot.
                """)

        @Argument(help: "The damaged store's directory (only read).")
        var store: String

        @Argument(help: "A new or empty directory for the salvaged store.")
        var destination: String

        @Option(help: "The metric for the new store when the damaged store's own cannot be read: l2 (default), cosine or ip.")
        var metric: Metric = .l2

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let started = Date()
            let report = try FeatureStore.salvage(
                from: URL(fileURLWithPath: store), to: URL(fileURLWithPath: destination), metric: metric)
            if json {
                try Output.printJSON(SalvageResult(destination: destination, seconds: Date().timeIntervalSince(started), report: report))
                return
            }
            for damage in report.damage { print("damage: \(damage.description)") }
            print("recovered \(report.recovered) vectors (\(report.recoveredWithMetadata) with their metadata, \(report.fromScannedPages) from pages outside the readable trees) into \(destination): dimension \(report.dimension), \(report.metric.rawValue)")
            if report.lostIDs.isEmpty && report.metadataLostIDs.isEmpty && report.vectorsWithoutID == 0 && report.damagedRecords == 0 && report.lostWithoutID == 0 {
                print("lost: nothing known to the store")
            } else {
                print("lost: \(report.lostIDs.count) vectors\(Self.list(report.lostIDs)); \(report.lostWithoutID) more the store counted, ids unknown; metadata of \(report.metadataLostIDs.count) recovered vectors\(Self.list(report.metadataLostIDs)); \(report.vectorsWithoutID) intact vectors without an id; \(report.damagedRecords) damaged records")
            }
        }

        private static func list(_ ids: [UInt64]) -> String {
            guard !ids.isEmpty else { return "" }
            let shown = ids.prefix(20).map(String.init).joined(separator: ", ")
            return " (ids \(shown)\(ids.count > 20 ? " and \(ids.count - 20) more" : ""))"
        }
    }
}

/// What `salvage --json` prints.
struct SalvageResult: Encodable {
    var destination: String
    var seconds: Double
    var report: SalvageReport
}
