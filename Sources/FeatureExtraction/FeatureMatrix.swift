/// Frame-level features: `frameCount` rows of `dimension` values, row-major.
public struct FeatureMatrix: Sendable, Equatable {
    /// Number of frames (rows).
    public let frameCount: Int
    /// Values per frame (columns).
    public let dimension: Int
    /// Row-major values, `frameCount × dimension`.
    public internal(set) var values: [Float]

    /// A matrix over `values`, which must hold `frameCount × dimension` numbers.
    public init(frameCount: Int, dimension: Int, values: [Float]) throws(AudioError) {
        guard frameCount >= 0, dimension >= 0 else { throw .invalidConfiguration("negative matrix shape") }
        guard values.count == frameCount * dimension else {
            throw .dimensionMismatch(expected: frameCount * dimension, actual: values.count)
        }
        self.frameCount = frameCount
        self.dimension = dimension
        self.values = values
    }

    /// A zero matrix; internal callers fill it in place.
    init(zeros frameCount: Int, dimension: Int) {
        self.frameCount = frameCount
        self.dimension = dimension
        values = [Float](repeating: 0, count: frameCount * dimension)
    }

    /// The values of frame `index`.
    public func frame(_ index: Int) -> ArraySlice<Float> {
        values[(index * dimension)..<((index + 1) * dimension)]
    }

    /// The frames of `self` followed, column-wise, by those of `other`; the frame counts must agree.
    public func appendingColumns(of other: FeatureMatrix) throws(AudioError) -> FeatureMatrix {
        guard other.frameCount == frameCount else { throw .dimensionMismatch(expected: frameCount, actual: other.frameCount) }
        var result = FeatureMatrix(zeros: frameCount, dimension: dimension + other.dimension)
        for t in 0..<frameCount {
            let row = t * result.dimension
            for j in 0..<dimension { result.values[row + j] = values[t * dimension + j] }
            for j in 0..<other.dimension { result.values[row + dimension + j] = other.values[t * other.dimension + j] }
        }
        return result
    }
}
