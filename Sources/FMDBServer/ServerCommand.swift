import ArgumentParser
import CommandSupport

/// `fmdb-server`: `fmdb serve` and `fmdb cluster`, which `fmdb` runs by exec with the same arguments.
@main
struct ServerCommand: ParsableCommand {
    /// Parses the command line and runs the command, with the fault handler installed.
    static func main() {
        FaultHandler.install()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "fmdb-server",
        abstract: "Serve collections over HTTP, and manage a cluster of such servers (run as `fmdb serve` and `fmdb cluster`).",
        subcommands: [Serve.self, Cluster.self])
}
