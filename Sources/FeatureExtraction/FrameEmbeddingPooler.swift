import Foundation

/// Pools frame-level hidden states from an external model, saved as `.npy`, into one vector.
///
/// Accepts a T×D array, or 1×T×D (a batch of one, as `outputs.last_hidden_state.numpy()`
/// gives), in float16/32/64, C order. Anything else throws an `AudioError` naming it.
public struct FrameEmbeddingPooler: Sendable, Equatable {
    /// How frames are pooled.
    public var pooling: Pooling

    /// A pooler; `.mean` or `.meanAndStandardDeviation` are the usual choices.
    public init(pooling: Pooling = .mean) { self.pooling = pooling }

    /// Frame-level states in `data` (the bytes of a `.npy` file) as a T×D matrix.
    public func frames(fromNPY data: Data) throws(AudioError) -> FeatureMatrix {
        let array = try NPYArray.parse(data)
        let frames: Int, dimension: Int
        switch array.shape.count {
        case 2:
            (frames, dimension) = (array.shape[0], array.shape[1])
        case 3 where array.shape[0] == 1:
            (frames, dimension) = (array.shape[1], array.shape[2])
        case 3:
            throw .unsupportedNPY("batch of \(array.shape[0]) in shape \(array.shape); save one clip per file")
        default:
            throw .unsupportedNPY("\(array.shape.count)-D shape \(array.shape); need frames × dimension")
        }
        guard frames > 0 else { throw .noFrames }
        guard dimension > 0 else { throw .unsupportedNPY("dimension 0 in shape \(array.shape)") }
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(index: bad) }
        return try FeatureMatrix(frameCount: frames, dimension: dimension, values: array.values)
    }

    /// The pooled vector of the `.npy` bytes in `data`.
    public func embedding(fromNPY data: Data) throws(AudioError) -> [Float] {
        try pooling.pool(frames(fromNPY: data))
    }

    /// The pooled vector of the `.npy` file at `url`.
    public func embedding(contentsOf url: URL) throws(AudioError) -> [Float] {
        try embedding(fromNPY: try FileBytes.contents(of: url))
    }
}
