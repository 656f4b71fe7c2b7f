import ArgumentParser
import FeatureMemory
import Foundation

/// The store directory and how to open it, shared by every command.
struct StoreArguments: ParsableArguments {
    @Argument(help: "The store's directory.")
    var store: String

    @Option(help: "What a commit waits for: full (default), no-meta-sync or no-sync.")
    var durability: DurabilityArgument = .full

    @Option(name: .customLong("map-cap-mb"), help: "Never grow the store's map past this many MiB.")
    var mapCapMB: Int?

    /// The store's directory as a URL.
    var url: URL { URL(fileURLWithPath: store) }

    /// Options for opening the store; `dimension` and `metric` for creating it.
    func options(dimension: Int? = nil, metric: Metric? = nil, create: Bool) -> StoreOptions {
        StoreOptions(
            dimension: dimension, metric: metric, durability: durability.value,
            mapSizeCap: mapCapMB.map { $0 << 20 }, createIfMissing: create)
    }

    /// Opens an existing store.
    func open() throws -> FeatureStore {
        try FeatureStore(at: url, options: options(create: false))
    }
}

/// `--durability` values.
enum DurabilityArgument: String, ExpressibleByArgument, CaseIterable {
    case full
    case noMetaSync = "no-meta-sync"
    case noSync = "no-sync"

    var value: Durability {
        switch self {
        case .full: .full
        case .noMetaSync: .noMetaSync
        case .noSync: .noSync
        }
    }
}

extension Metric: ExpressibleByArgument {}
extension VectorFileFormat: ExpressibleByArgument {}
