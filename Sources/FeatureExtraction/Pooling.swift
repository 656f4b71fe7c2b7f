/// Pools frame features into one fixed-length vector: each statistic over all frames, statistic-major.
///
/// The output is `[stat₀(dim 0…D−1), stat₁(dim 0…D−1), …]`, so its length,
/// `statistics.count × D`, is known before any audio is seen.
public struct Pooling: Sendable, Equatable, Hashable, Codable {
    /// The statistics, in output order.
    public var statistics: [PoolingStatistic]

    /// Mean and standard deviation: the usual utterance-level summary.
    public static let meanAndStandardDeviation = Pooling(statistics: [.mean, .standardDeviation])
    /// The mean only.
    public static let mean = Pooling(statistics: [.mean])

    /// The means of `count` consecutive stretches of the clip, then the deviation over all of it.
    public static func segments(_ count: Int) -> Pooling {
        Pooling(statistics: (0..<max(count, 0)).map { .segmentMean(index: $0, count: count) } + [.standardDeviation])
    }

    /// At most this many stretches: more would be fewer frames than stretches in a short word.
    public static let maximumSegments = 64

    /// A pooling with these statistics; validated by `validate()` before use.
    public init(statistics: [PoolingStatistic]) { self.statistics = statistics }

    /// Output length for frames of `dimension` values.
    public func outputDimension(forFrameDimension dimension: Int) -> Int { statistics.count * dimension }

    /// Throws if the list is empty or a percentile is out of 0…100.
    public func validate() throws(AudioError) {
        guard !statistics.isEmpty else { throw .invalidConfiguration("pooling needs at least one statistic") }
        for case .percentile(let p) in statistics where !(0...100).contains(p) {
            throw .invalidConfiguration("percentile \(p) is outside 0…100")
        }
        for case let .segmentMean(index, count) in statistics
        where !(1...Self.maximumSegments).contains(count) || !(0..<count).contains(index) {
            throw .invalidConfiguration("segment \(index) of \(count): the count must be 1…\(Self.maximumSegments) and the index below it")
        }
    }

    /// The pooled vector of `features`, which must have at least one frame.
    public func pool(_ features: FeatureMatrix) throws(AudioError) -> [Float] {
        try validate()
        guard features.frameCount > 0 else { throw .noFrames }
        var out = [Float](repeating: 0, count: outputDimension(forFrameDimension: features.dimension))
        features.values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                pool(input, frames: features.frameCount, dimension: features.dimension, into: output)
            }
        }
        return out
    }

    /// Pools a row-major `frames × dimension` buffer into `output`; `frames` must be positive.
    func pool(_ input: UnsafeBufferPointer<Float>, frames: Int, dimension: Int, into output: UnsafeMutableBufferPointer<Float>) {
        let needsSorting = statistics.contains { $0.needsSorting }
        // One column buffer for all percentiles, sorted once per dimension.
        var column = [Float](repeating: 0, count: needsSorting ? frames : 0)
        let count = Double(frames)
        for j in 0..<dimension {
            // Sums in Double: with thousands of frames Float loses the low digits of the variance.
            var sum = 0.0, minimum = input[j], maximum = input[j]
            for t in 0..<frames {
                let v = input[t * dimension + j]
                sum += Double(v)
                minimum = min(minimum, v)
                maximum = max(maximum, v)
            }
            let mean = sum / count
            var squares = 0.0
            for t in 0..<frames {
                let d = Double(input[t * dimension + j]) - mean
                squares += d * d
            }
            if needsSorting {
                for t in 0..<frames { column[t] = input[t * dimension + j] }
                column.sort()
            }
            for (s, statistic) in statistics.enumerated() {
                let value: Float
                switch statistic {
                case .mean: value = Float(mean)
                case .standardDeviation: value = Float((squares / count).squareRoot())
                case .minimum: value = minimum
                case .maximum: value = maximum
                case let .segmentMean(index, segments):
                    let start = index * frames / segments, end = (index + 1) * frames / segments
                    if end > start {
                        var part = 0.0
                        for t in start..<end { part += Double(input[t * dimension + j]) }
                        value = Float(part / Double(end - start))
                    } else {
                        value = input[min(start, frames - 1) * dimension + j]
                    }
                case .percentile(let p):
                    let rank = Double(p) / 100 * Double(frames - 1)
                    let lower = Int(rank.rounded(.down))
                    let upper = min(lower + 1, frames - 1)
                    let fraction = Float(rank - Double(lower))
                    value = column[lower] + (column[upper] - column[lower]) * fraction
                }
                output[s * dimension + j] = value
            }
        }
    }
}
