// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "FeatureMemory",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FeatureMemory", targets: ["FeatureMemory"]),
        .executable(name: "fmdb", targets: ["fmdb"]),
        .executable(name: "fmdb-server", targets: ["FMDBServer"]),
        .executable(name: "fmdb-load", targets: ["LoadGenerator"]),
        .library(name: "FeatureExtraction", targets: ["FeatureExtraction"]),
        .library(name: "PatternLearning", targets: ["PatternLearning"]),
        .library(name: "VectorFiles", targets: ["VectorFiles"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        // the server (FeatureServer, fmdb serve) and the load generator (fmdb-load) only: never a
        // dependency of the engine targets
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        // the server's /metrics: the store's swift-metrics and the server's own, in Prometheus' format
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        // the server's tests talk to a real server on a loopback port
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"]), .brew(["lmdb"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        // the cluster's JetStream client: Debian's libnats-dev (the NATS C client)
        .systemLibrary(
            name: "CNATS",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"]), .brew(["cnats"])]
        ),
        .target(name: "CFeatureMemoryShims"),
        .target(
            name: "FeatureMemory",
            dependencies: [
                "CLMDB",
                "CLZ4",
                "CFeatureMemoryShims",
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "fmdb",
            dependencies: [
                "FeatureMemory",
                "FeatureExtraction",
                "PatternLearning",
                "LearningPipeline",
                "VectorFiles",
                "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `fmdb serve` and `fmdb cluster`, which fmdb runs by exec: apart, so that the server's
        // packages (their code and some 3,900 protocol conformances the Swift runtime scans on a
        // process's first dynamic casts) leave every other fmdb command's start untouched
        .executableTarget(
            name: "FMDBServer",
            dependencies: [
                "FeatureServer",
                "FeatureCluster",
                "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // what both command-line executables share: option ranges, --durability, errors and the fault handler
        .target(name: "CommandSupport", dependencies: ["FeatureMemory", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(
            name: "FeatureMemoryTests",
            dependencies: ["FeatureMemory", .product(name: "MetricsTestKit", package: "swift-metrics")]
        ),
        .testTarget(
            name: "fmdbTests",
            // fmdb itself for its OutputFile; every other test runs the built binary
            dependencies: ["fmdb", "FeatureMemory", "VectorFiles", "CommandSupport"]
        ),
        // no storage dependency: VectorFiles is a file-format library (its .npy parser)
        .target(name: "FeatureExtraction", dependencies: ["VectorFiles"]),
        .testTarget(name: "FeatureExtractionTests", dependencies: ["FeatureExtraction"]),
        // learning on the engine's public API only (a plain import, never @testable)
        .target(name: "PatternLearning", dependencies: ["FeatureMemory"]),
        .testTarget(name: "PatternLearningTests", dependencies: ["PatternLearning", "FeatureMemory"]),
        // extraction, the store's normalization statistics and pattern learning, shared by fmdb and the server
        .target(name: "LearningPipeline", dependencies: ["FeatureMemory", "FeatureExtraction", "PatternLearning"]),
        // the cluster's shared state on NATS JetStream: the shard map in a key-value bucket, a stream
        // per shard, and the log records replicas apply; no HTTP, so fmdb cluster needs no server
        .target(name: "FeatureCluster", dependencies: ["CNATS"]),
        .testTarget(name: "FeatureClusterTests", dependencies: ["FeatureCluster"]),
        // `fmdb serve`: the HTTP API (Hummingbird) over a directory of stores
        .target(
            name: "FeatureServer",
            dependencies: [
                "FeatureMemory",
                "FeatureExtraction",
                "LearningPipeline",
                "FeatureCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // a clustered node's searches of the shards other nodes hold
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "FeatureServerTests",
            dependencies: [
                "FeatureServer",
                "FeatureMemory",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // fvecs, npy, JSON lines and ivecs: a file-format library with no storage dependency
        .target(name: "VectorFiles"),
        .testTarget(name: "VectorFilesTests", dependencies: ["VectorFiles"]),
        // the open-loop HTTP load generator of tools/load-test: raw NIO, so 1,000 keep-alive
        // connections fit on a small machine beside the server it measures
        .executableTarget(
            name: "LoadGenerator",
            dependencies: [
                "VectorFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
