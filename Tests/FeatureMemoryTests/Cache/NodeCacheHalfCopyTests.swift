import Foundation
import Testing
@testable import FeatureMemory

/// The node cache's float16 copies (`CacheFormat.half`) steer searches as the stored vectors
/// would, at every magnitude a store accepts.
struct NodeCacheHalfCopyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// Vectors whose largest magnitude is below 2⁻¹¹³ sit at the origin as far as float32 L2 can
    /// tell: a query near the origin has one exact nearest distance, |query|², to every one of
    /// them, and much larger ones to the rest. A search through half-precision copies must find
    /// one of them, as searches without the cache and with 8-bit copies do.
    @Test(arguments: CacheFormat.allCases)
    func aSearchNearTheOriginFindsVectorsBelowTwoToTheMinus113(format: CacheFormat) throws {
        var options = StoreOptions(
            dimension: 16, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 48), durability: .noSync,
            initialMapSize: 1 << 24, cacheBytes: 8 << 20, prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false),
            resultCacheEntries: 0)
        options.cacheFormat = format
        let store = try FeatureStore(at: temporary.storeURL, options: options)
        var random = SeededGenerator(seed: 113)
        let directions = (0..<400).map { _ in random.gaussianVector(16) }
        // every other vector scaled to ~10⁻³⁶ (largest magnitude below 2⁻¹¹³ ≈ 9.6 · 10⁻³⁵)
        try store.put(directions.enumerated().map { index, direction in
            VectorItem(id: UInt64(index), vector: index.isMultiple(of: 2) ? direction.map { $0 * 1e-36 } : direction)
        })
        var wrong: [String] = []
        // twice: the first pass fills the cache, the second searches through it
        for _ in 0..<2 {
            for direction in directions.prefix(100) {
                let query = direction.map { $0 * 0.01 }
                let found = try store.nearest(to: query, count: 1)
                let exact = try store.exactNearest(to: query, count: 1)
                if found.first?.distance != exact.first?.distance { wrong.append("\(found) vs \(exact)") }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of 200 searches: \(wrong.prefix(3))")
    }
}
