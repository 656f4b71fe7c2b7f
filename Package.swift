// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "FeatureMemory",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FeatureMemory", targets: ["FeatureMemory"]),
        .executable(name: "fmdb", targets: ["fmdb"]),
        .executable(name: "fmdb-load", targets: ["LoadGenerator"]),
        .library(name: "FeatureExtraction", targets: ["FeatureExtraction"]),
        .library(name: "PatternLearning", targets: ["PatternLearning"]),
        .library(name: "VectorFiles", targets: ["VectorFiles"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
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
                "VectorFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "FeatureMemoryTests",
            dependencies: ["FeatureMemory", .product(name: "MetricsTestKit", package: "swift-metrics")]
        ),
        .testTarget(
            name: "fmdbTests",
            // fmdb itself for its OutputFile; every other test runs the built binary
            dependencies: ["fmdb", "FeatureMemory", "VectorFiles"]
        ),
        // no storage dependency: VectorFiles is a file-format library (its .npy parser)
        .target(name: "FeatureExtraction", dependencies: ["VectorFiles"]),
        .testTarget(name: "FeatureExtractionTests", dependencies: ["FeatureExtraction"]),
        // learning on the engine's public API only (a plain import, never @testable)
        .target(name: "PatternLearning", dependencies: ["FeatureMemory"]),
        .testTarget(name: "PatternLearningTests", dependencies: ["PatternLearning", "FeatureMemory"]),
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
