/// Per-dimension mean and variance accumulated one vector at a time (Welford), mergeable (Chan et al.).
///
/// Kept in `Double`: a store may feed it millions of vectors, and `Float` sums
/// would drift. `Codable` so a store can persist it beside its vectors; decoding
/// checks that the fields agree, since a file supplies them.
public struct RunningStatistics: Sendable, Equatable, Codable {
    /// Vector length.
    public let dimension: Int
    /// Vectors added.
    public private(set) var count: Int
    /// Mean of each dimension.
    public private(set) var mean: [Double]
    /// Sum of squared deviations from the mean, per dimension.
    public private(set) var sumOfSquaredDeviations: [Double]

    /// Variances below this are treated as this when z-scoring, so a constant dimension maps to 0, not ±∞.
    public static let minimumVariance = 1e-12

    /// Empty statistics for vectors of `dimension` values.
    public init(dimension: Int) throws(AudioError) {
        guard dimension > 0 else { throw .invalidConfiguration("dimension \(dimension) must be positive") }
        self.dimension = dimension
        count = 0
        mean = [Double](repeating: 0, count: dimension)
        sumOfSquaredDeviations = [Double](repeating: 0, count: dimension)
    }

    /// Adds one vector; rejects a wrong dimension or a non-finite value without changing anything.
    public mutating func add(_ vector: [Float]) throws(AudioError) {
        guard vector.count == dimension else { throw .dimensionMismatch(expected: dimension, actual: vector.count) }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(index: bad) }
        count += 1
        let n = Double(count)
        for j in 0..<dimension {
            let x = Double(vector[j])
            let delta = x - mean[j]
            mean[j] += delta / n
            sumOfSquaredDeviations[j] += delta * (x - mean[j])
        }
    }

    /// Folds in statistics gathered elsewhere, as if their vectors had been added here.
    public mutating func merge(_ other: RunningStatistics) throws(AudioError) {
        guard other.dimension == dimension else { throw .dimensionMismatch(expected: dimension, actual: other.dimension) }
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let (na, nb) = (Double(count), Double(other.count))
        let total = na + nb
        for j in 0..<dimension {
            let delta = other.mean[j] - mean[j]
            mean[j] += delta * nb / total
            sumOfSquaredDeviations[j] += other.sumOfSquaredDeviations[j] + delta * delta * na * nb / total
        }
        count += other.count
    }

    /// The population variance (divides by `count`) of each dimension; zeros when empty.
    public var variance: [Double] {
        count > 0 ? sumOfSquaredDeviations.map { $0 / Double(count) } : [Double](repeating: 0, count: dimension)
    }

    /// The population standard deviation of each dimension.
    public var standardDeviation: [Double] { variance.map { $0.squareRoot() } }

    /// `(v − mean) / std` per dimension, using `minimumVariance` as a floor.
    public func zScored(_ vector: [Float]) throws(AudioError) -> [Float] {
        guard vector.count == dimension else { throw .dimensionMismatch(expected: dimension, actual: vector.count) }
        let variance = variance
        return (0..<dimension).map { j in
            Float((Double(vector[j]) - mean[j]) / max(variance[j], Self.minimumVariance).squareRoot())
        }
    }

    private enum CodingKeys: String, CodingKey { case dimension, count, mean, sumOfSquaredDeviations }

    /// Decodes and checks that count and array lengths are consistent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimension = try c.decode(Int.self, forKey: .dimension)
        count = try c.decode(Int.self, forKey: .count)
        mean = try c.decode([Double].self, forKey: .mean)
        sumOfSquaredDeviations = try c.decode([Double].self, forKey: .sumOfSquaredDeviations)
        guard dimension > 0, count >= 0, mean.count == dimension, sumOfSquaredDeviations.count == dimension,
              mean.allSatisfy(\.isFinite), sumOfSquaredDeviations.allSatisfy({ $0.isFinite && $0 >= 0 })
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "inconsistent RunningStatistics fields"))
        }
    }
}
