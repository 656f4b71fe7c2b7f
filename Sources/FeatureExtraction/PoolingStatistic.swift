/// A statistic taken over frames, per feature dimension, to turn a variable-length sequence into one vector.
public enum PoolingStatistic: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The mean over frames.
    case mean
    /// The population standard deviation over frames (divides by the frame count).
    case standardDeviation
    /// The smallest value.
    case minimum
    /// The largest value.
    case maximum
    /// The `p`-th percentile, `0 ≤ p ≤ 100`, linearly interpolated between ranks (NumPy's default).
    case percentile(Float)
    /// The mean over the `index`-th of `count` consecutive stretches of equal length (frames
    /// `index·n/count ..< (index+1)·n/count` of n): one per stretch keeps the order of the sounds.
    /// A stretch too short to hold a frame takes the frame where it starts.
    case segmentMean(index: Int, count: Int)

    /// A short name used in extractor names, e.g. "std" or "p90".
    public var description: String {
        switch self {
        case .mean: "mean"
        case .standardDeviation: "std"
        case .minimum: "min"
        case .maximum: "max"
        case .percentile(let p): "p\(p == p.rounded() ? String(Int(p)) : String(p))"
        case let .segmentMean(index, count): "mean\(index + 1)of\(count)"
        }
    }

    var needsSorting: Bool { if case .percentile = self { true } else { false } }
}
