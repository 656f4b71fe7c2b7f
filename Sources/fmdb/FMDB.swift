import ArgumentParser
import CommandSupport
import FeatureMemory

/// `fmdb`: create, import, inspect, search and verify FeatureMemory stores.
@main
struct FMDB: ParsableCommand {
    /// Parses the command line and runs the command, with the fault handler installed.
    static func main() {
        FaultHandler.install()
        do {
            try ServerForwarding.forwardIfServerCommand(CommandLine.arguments)
        } catch {
            exit(withError: error)
        }
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "fmdb",
        abstract: "Create, import, inspect, search and verify FeatureMemory stores.",
        discussion: "A store is a directory holding one LMDB environment. Every command exits 0 on success and non-zero with a one-line message on any error.",
        subcommands: [
            Create.self, Import.self, Info.self, Stats.self, List.self, Get.self, Put.self, Remove.self,
            Export.self, Search.self, Bench.self, Verify.self, Salvage.self, Backup.self, Compact.self,
            Learn.self, Recognize.self, Patterns.self, Calibrate.self, Serve.self, Cluster.self,
            CrashTest.self, CrashWriter.self, HoldRead.self, ReadLoop.self, ModelTest.self, PageCheck.self,
        ])
}
