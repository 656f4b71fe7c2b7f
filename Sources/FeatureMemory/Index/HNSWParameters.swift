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

    /// The M a new store may take. Below 4 a node keeps too few links for delete repair to keep the
    /// graph connected (M = 2 and 3 built graphs that `verify` reported damaged); above 255 a
    /// layer-0 list (2M links) outgrows what a search visits per node at any useful speed.
    public static let mRange = 4...255

    /// The efConstruction a store may take: at least M (fewer candidates than links would leave
    /// links unfilled), at most 10,000.
    public static func efConstructionRange(m: Int) -> ClosedRange<Int> { max(1, m)...10_000 }

    /// Checks the ranges of a new store or of a request; thrown errors name the parameter.
    func validate() throws(StoreError) {
        guard Self.mRange.contains(m) else {
            throw .invalidArgument("M must be \(Self.mRange.lowerBound)…\(Self.mRange.upperBound), got \(m)")
        }
        let efRange = Self.efConstructionRange(m: m)
        guard efRange.contains(efConstruction) else {
            throw .invalidArgument("efConstruction must be \(efRange.lowerBound)…\(efRange.upperBound) (at least M = \(m)), got \(efConstruction)")
        }
    }

    /// Whether parameters read from an existing store can be used: looser than `validate()`, so a
    /// store created before M ≥ 4 was required still opens (and `verify` can report on it).
    var isReadable: Bool { (2...255).contains(m) && (1...10_000).contains(efConstruction) }
}
