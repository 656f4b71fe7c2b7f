import ArgumentParser
import FeatureMemory

extension FMDB {
    /// `fmdb info STORE`
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a store's format, dimension, metric and size.")

        @OptionGroup var location: StoreArguments

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try location.open()
            let stats = try store.statistics()
            let info = InfoResult(
                summary: StoreSummary(store: store, count: stats.count),
                fileBytes: stats.fileBytes, compressionRatio: stats.compressionRatio,
                hnswM: store.hnswParameters.m, hnswEfConstruction: store.hnswParameters.efConstruction)
            if json {
                try Output.printJSON(info)
            } else {
                print("""
                    store:        \(info.summary.path)
                    format:       \(info.summary.formatVersion)
                    dimension:    \(info.summary.dimension)
                    metric:       \(info.summary.metric)
                    encoding:     \(info.summary.encoding)
                    vectors:      \(info.summary.count)
                    graph:        HNSW, M \(info.hnswM), efConstruction \(info.hnswEfConstruction)
                    file size:    \(Output.bytes(info.fileBytes))
                    """)
            }
        }
    }
}

/// What `info --json` prints.
struct InfoResult: Encodable {
    var summary: StoreSummary
    var fileBytes: Int
    var compressionRatio: Double
    var hnswM: Int
    var hnswEfConstruction: Int

    enum CodingKeys: String, CodingKey {
        case path, formatVersion, dimension, metric, encoding, count, fileBytes, compressionRatio, hnswM, hnswEfConstruction
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.path, forKey: .path)
        try container.encode(summary.formatVersion, forKey: .formatVersion)
        try container.encode(summary.dimension, forKey: .dimension)
        try container.encode(summary.metric, forKey: .metric)
        try container.encode(summary.encoding, forKey: .encoding)
        try container.encode(summary.count, forKey: .count)
        try container.encode(fileBytes, forKey: .fileBytes)
        try container.encode(compressionRatio, forKey: .compressionRatio)
        try container.encode(hnswM, forKey: .hnswM)
        try container.encode(hnswEfConstruction, forKey: .hnswEfConstruction)
    }
}
