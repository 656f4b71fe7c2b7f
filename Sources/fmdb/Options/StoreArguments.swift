import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation
import VectorFiles

/// The store directory and how to open it, shared by every command.
struct StoreArguments: ParsableArguments {
    @Argument(help: "The store's directory.")
    var store: String

    @Option(help: "What a commit waits for: full (default), no-meta-sync or no-sync.")
    var durability: DurabilityArgument = .full

    @Option(name: .customLong("map-cap-mb"), help: "Never grow the store's map past this many MiB.")
    var mapCapMB: Int?

    func validate() throws {
        if let mapCapMB, !Self.mapCapRange.contains(mapCapMB) {
            throw ValidationError("--map-cap-mb must be \(Self.mapCapRange.lowerBound)…\(Self.mapCapRange.upperBound) (MiB), got \(mapCapMB)")
        }
    }

    /// --map-cap-mb values: 1 MiB up to 1 PiB, so the shift to bytes cannot overflow.
    static let mapCapRange = 1...(1 << 30)

    /// The store's directory as a URL.
    var url: URL { URL(fileURLWithPath: store) }

    /// Options for opening the store; `dimension`, `metric`, `encoding` and `hnsw` for creating it.
    func options(
        dimension: Int? = nil, metric: Metric? = nil, encoding: VectorEncoding? = nil, hnsw: HNSWParameters? = nil, create: Bool
    ) -> StoreOptions {
        StoreOptions(
            dimension: dimension, metric: metric, encoding: encoding, hnsw: hnsw, durability: durability.value,
            mapSizeCap: mapCapMB.map { $0 << 20 }, createIfMissing: create)
    }

    /// Opens an existing store.
    func open() throws -> FeatureStore {
        try FeatureStore(at: url, options: options(create: false))
    }

    /// Opens an existing store for a process that will run only a few searches: without the warm
    /// start, which reads the whole store into the cache after the first search and pays for itself
    /// only over many searches (a one-shot `fmdb search` spent more on it, and on unmapping what it
    /// mapped at exit, than on its query).
    func openForFewSearches() throws -> FeatureStore {
        var options = options(create: false)
        options.prefetch.warmStart = false
        options.cacheBytes = 0
        return try FeatureStore(at: url, options: options)
    }
}

extension Metric: ExpressibleByArgument {}
extension VectorEncoding: ExpressibleByArgument {}
extension VectorFileFormat: ExpressibleByArgument {}

/// `--m`, `--ef-construction` and `--encoding`, for commands that may create a store.
struct GraphArguments: ParsableArguments {
    @Option(help: "How a new store keeps vectors: f32 (default), f16, bf16 or int8. An existing store's must match.")
    var encoding: VectorEncoding?

    @Option(name: .customLong("m"), help: "HNSW links per node (upper layers; twice as many in layer 0). Default 16.")
    var m: Int?

    @Option(help: "HNSW candidates examined per insert. Default 200.")
    var efConstruction: Int?

    func validate() throws {
        if let m, !HNSWParameters.mRange.contains(m) {
            throw ValidationError("--m must be \(HNSWParameters.mRange.lowerBound)…\(HNSWParameters.mRange.upperBound), got \(m)")
        }
        if let efConstruction {
            let range = HNSWParameters.efConstructionRange(m: m ?? HNSWParameters().m)
            guard range.contains(efConstruction) else {
                throw ValidationError("--ef-construction must be \(range.lowerBound)…\(range.upperBound) (at least --m, \(range.lowerBound)), got \(efConstruction)")
            }
        }
    }

    /// The parameters asked for, or nil to take the store's (or the defaults for a new store).
    var parameters: HNSWParameters? {
        guard m != nil || efConstruction != nil else { return nil }
        var parameters = HNSWParameters()
        if let m { parameters.m = m }
        if let efConstruction { parameters.efConstruction = efConstruction }
        return parameters
    }
}
