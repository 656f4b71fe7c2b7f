// swift-tools-version: 6.1
import PackageDescription

// FeatureMemory used from another package, as docs/integration.md describes; `make test` builds
// and runs it, and it exits non-zero when a result is wrong.
let package = Package(
    name: "QuickStart",
    platforms: [.macOS(.v15)],
    dependencies: [
        // a release would be `.package(url: "https://…/FeatureMemory.git", from: "…")`
        .package(name: "FeatureMemory", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "QuickStart",
            dependencies: [.product(name: "FeatureMemory", package: "FeatureMemory")]
        ),
    ]
)
