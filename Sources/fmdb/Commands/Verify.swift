import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb verify STORE`
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every record's checksum, that ids, records, labels and counters agree, and the graph's invariants.",
            discussion: """
                Exits 0 when the store is clean (after --repair: clean once repaired), 2 when damage is \
                found (or remains), 1 when the store cannot be read. Every page of the file is read \
                and checked first, without LMDB: damaged pages are listed as damaged_page (--repair \
                cannot mend them; `fmdb salvage` copies what is readable into a new store).
                """)

        @OptionGroup var location: StoreArguments

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Flag(help: ArgumentHelp(
            "When damage is found, rebuild the graph around it in one transaction, then verify again.",
            discussion: "Re-links nodes whose graph records are damaged or missing, drops links to missing nodes, recomputes in-links, reconnects unreachable nodes and resets the entry point and counters. Vectors and metadata are never changed: ids whose vectors are damaged are listed, to delete or put again."))
        var repair = false

        func run() throws {
            let store: FeatureStore
            do {
                store = try location.open()
            } catch StoreError.damagedFile {
                // LMDB must not read the file: list the damage from the pages themselves
                let report = try FeatureStore.verifyFile(at: location.url)
                guard !report.isClean else { throw StoreError.io(path: location.store, reason: "the file changed while it was checked; run verify again") }
                try show(report)
                if repair {
                    print("not repaired: verify --repair rebuilds the graph and counters of a readable store, not damaged pages; run `fmdb salvage \(location.store) NEW` to copy every readable vector into a new store")
                }
                throw ExitCode(2)
            }
            let report = try store.verify()
            if repair && !report.isClean && !report.problems.contains(where: { $0.kind == .damagedPage }) {
                try repairAndVerify(store, before: report)
                return
            }
            try show(report)
            if !report.isClean { throw ExitCode(2) }
        }

        private func show(_ report: VerificationReport) throws {
            if json {
                try Output.printJSON(VerifyResult(
                    clean: report.isClean, vectorsChecked: report.vectorsChecked,
                    metadataChecked: report.metadataChecked, graphNodesChecked: report.graphNodesChecked,
                    problems: report.problems))
            } else {
                for problem in report.problems { print(problem.description) }
                if report.problems.contains(where: { $0.kind == .damagedPage }) {
                    print("the file's pages are damaged: no command reads this store until `fmdb salvage \(location.store) NEW` copies every readable vector into a new store")
                }
                print(report.isClean
                      ? "clean: \(report.vectorsChecked) vectors, \(report.metadataChecked) metadata records and \(report.graphNodesChecked) graph nodes checked"
                      : "damaged: \(report.problems.count) problems in \(report.vectorsChecked) vectors checked")
            }
        }

        private func repairAndVerify(_ store: FeatureStore, before: VerificationReport) throws {
            let repaired = try store.repair()
            let after = try store.verify()
            if json {
                try Output.printJSON(RepairResult(
                    problemsBefore: before.problems.count, repair: repaired, clean: after.isClean,
                    vectorsChecked: after.vectorsChecked, graphNodesChecked: after.graphNodesChecked,
                    problems: after.problems))
            } else {
                for problem in before.problems { print("found \(problem.description)") }
                print(Self.describe(repaired))
                for problem in after.problems { print("remains \(problem.description)") }
                print(after.isClean
                      ? "clean after repair: \(after.vectorsChecked) vectors and \(after.graphNodesChecked) graph nodes checked"
                      : "still damaged after repair: \(after.problems.count) problems (delete or put again the ids listed)")
            }
            if !after.isClean { throw ExitCode(2) }
        }

        private static func describe(_ report: RepairReport) -> String {
            var parts: [String] = []
            if !report.relinkedIDs.isEmpty { parts.append("re-linked ids \(list(report.relinkedIDs))") }
            if !report.reconnectedIDs.isEmpty { parts.append("reconnected ids \(list(report.reconnectedIDs))") }
            if report.droppedLinks > 0 { parts.append("dropped \(report.droppedLinks) links to missing nodes") }
            if report.rewrittenRecords > 0 { parts.append("rewrote \(report.rewrittenRecords) graph records") }
            if report.removedOrphanRecords > 0 { parts.append("removed \(report.removedOrphanRecords) graph records without an id") }
            if report.resetEntryPoint { parts.append("reset the entry point and level index") }
            if !report.correctedCounters.isEmpty { parts.append("corrected counters \(report.correctedCounters.joined(separator: ", "))") }
            if !report.unrepairableIDs.isEmpty { parts.append("could not re-link ids \(list(report.unrepairableIDs)) (their vectors are damaged)") }
            return "repaired: " + (parts.isEmpty ? "nothing the graph repair can change" : parts.joined(separator: "; "))
        }

        private static func list(_ ids: [UInt64]) -> String {
            ids.count <= 20 ? ids.map(String.init).joined(separator: ", ") : ids.prefix(20).map(String.init).joined(separator: ", ") + " and \(ids.count - 20) more"
        }
    }
}

/// What `verify --repair --json` prints.
struct RepairResult: Encodable {
    var problemsBefore: Int
    var repair: RepairReport
    var clean: Bool
    var vectorsChecked: Int
    var graphNodesChecked: Int
    var problems: [VerificationProblem]
}

/// What `verify --json` prints.
struct VerifyResult: Encodable {
    var clean: Bool
    var vectorsChecked: Int
    var metadataChecked: Int
    var graphNodesChecked: Int
    var problems: [VerificationProblem]
}
