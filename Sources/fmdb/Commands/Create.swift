import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation

extension FMDB {
    /// `fmdb create STORE --dim N --metric l2|cosine|ip [--encoding f32|f16|bf16|int8]`
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an empty store.")

        @OptionGroup var location: StoreArguments

        @OptionGroup var graph: GraphArguments

        @Option(name: .customLong("dim"), help: "Floats per vector.")
        var dimension: Int

        @Option(help: "Distance metric: l2 (squared Euclidean), cosine or ip (inner product).")
        var metric: Metric = .l2

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            try OptionRange.check(dimension, in: 1...StoreOptions.maximumDimension, flag: "--dim")
        }

        func run() throws {
            if FileManager.default.fileExists(atPath: location.store + "/data.mdb") {
                throw CLIError("a store already exists at \(location.store)")
            }
            let store = try FeatureStore(at: location.url, options: location.options(
                dimension: dimension, metric: metric, encoding: graph.encoding, hnsw: graph.parameters, create: true))
            if json {
                try Output.printJSON(StoreSummary(store: store, count: 0))
            } else {
                print("created \(location.store): dimension \(store.dimension), metric \(store.metric.rawValue), encoding \(store.encoding.rawValue)")
            }
        }
    }
}

/// What `create` and `info` report.
struct StoreSummary: Encodable {
    var path: String
    var formatVersion: UInt32
    var dimension: Int
    var metric: String
    var encoding: String
    var count: Int

    init(store: FeatureStore, count: Int) {
        path = store.directory.path
        formatVersion = store.formatVersion
        dimension = store.dimension
        metric = store.metric.rawValue
        encoding = store.encoding.rawValue
        self.count = count
    }
}
