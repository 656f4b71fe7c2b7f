// swift-tools-version: 6.1
import PackageDescription

// The benchmarks are a package of their own, so the engine never depends on package-benchmark
// and its allocator hooks: only this package links them.
let package = Package(
    name: "FeatureMemoryBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "FeatureMemory", path: ".."),
        // Only the malloc interposer: the default traits also pull in the runtime interposer,
        // which the ARC metrics need and these benchmarks do not measure.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FeatureMemory", package: "FeatureMemory"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "SpeechBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FeatureMemory", package: "FeatureMemory"),
                .product(name: "FeatureExtraction", package: "FeatureMemory"),
                .product(name: "PatternLearning", package: "FeatureMemory"),
            ],
            path: "Benchmarks/SpeechBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
