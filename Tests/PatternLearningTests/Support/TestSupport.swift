import FeatureMemory
import Foundation

/// A fresh directory under the system temporary directory, removed with everything in it when
/// the value is released: one per test, so tests can run in parallel.
final class TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fm-learn-test-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Opens (creating) a store of `dimension` and `metric` inside the directory; no fsync, as
    /// these tests are about learning, not durability.
    func store(dimension: Int, metric: Metric) throws -> FeatureStore {
        try FeatureStore(at: url.appendingPathComponent("store"), options: StoreOptions(
            dimension: dimension, metric: metric, durability: .noSync, initialMapSize: 1 << 20))
    }
}

extension SeededGenerator {
    /// `dimension` standard normal values (Box–Muller).
    mutating func gaussianVector(_ dimension: Int) -> [Float] {
        (0..<dimension).map { _ in
            let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &self)
            let u2 = Double.random(in: 0..<1, using: &self)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }
}
