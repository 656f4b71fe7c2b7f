import ArgumentParser
import FeatureMemory

/// `fmdb`: create, import, inspect, search and verify FeatureMemory stores.
@main
struct FMDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmdb",
        abstract: "Create, import, inspect, search and verify FeatureMemory stores.",
        subcommands: [])
}
