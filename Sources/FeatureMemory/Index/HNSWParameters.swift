import Foundation

/// The parameters of the HNSW graph, fixed when the store is created and kept in `meta`.
public struct HNSWParameters: Sendable, Equatable, Codable {
    /// Links per node in the upper layers (the bottom layer keeps up to twice as many).
    public var m: Int
    /// Candidates examined when a node is inserted: higher builds a better graph, slower.
    public var efConstruction: Int

    /// Parameters for a new store (M = 16, efConstruction = 200 by default).
    public init(m: Int = 16, efConstruction: Int = 200) {
        self.m = m
        self.efConstruction = efConstruction
    }

    /// The most links a node keeps in `layer`.
    @inline(__always)
    func maximumLinks(layer: Int) -> Int { layer == 0 ? 2 * m : m }

    /// The level of a new node: ⌊−ln(u) / ln(M)⌋ for a uniform u drawn from `key`, so the same key
    /// always gets the same level (repeatable builds) and levels thin out by a factor M per layer.
    func level(forKey key: UInt64, seed: UInt64) -> Int {
        var z = key &+ seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = (Double(z >> 11) + 1) / Double(1 << 53)  // in (0, 1]
        let level = Int(-Foundation.log(u) / Foundation.log(Double(m)))
        return min(level, GraphRecord.maximumLevel)
    }

    /// Checks the ranges; thrown errors name the parameter.
    func validate() throws(StoreError) {
        guard (2...255).contains(m) else { throw .invalidArgument("M must be 2…255, got \(m)") }
        guard (1...10_000).contains(efConstruction) else {
            throw .invalidArgument("efConstruction must be 1…10000, got \(efConstruction)")
        }
    }
}
