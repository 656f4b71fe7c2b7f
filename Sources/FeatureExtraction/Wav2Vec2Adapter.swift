import Foundation

/// Reads wav2vec 2.0 (or HuBERT, WavLM…) hidden states saved as `.npy` and pools them to a clip vector.
///
/// The model runs elsewhere (e.g. Python); this only checks the hidden size and
/// pools, so vectors from a store's other clips stay comparable.
public struct Wav2Vec2Adapter: Sendable, Equatable {
    /// A stable identifier, e.g. "wav2vec2-base-mean".
    public let name: String
    /// Hidden size the model produces: 768 for base, 1024 for large.
    public let hiddenSize: Int
    /// The pooler applied to the frames.
    public let pooler: FrameEmbeddingPooler

    /// The model's audio rate: wav2vec 2.0 is trained on 16 kHz input.
    public let sampleRate = 16_000

    /// An adapter for `model` (a label used in `name`) with `hiddenSize` features per frame.
    public init(model: String = "wav2vec2-base", hiddenSize: Int = 768, pooling: Pooling = .mean) throws(AudioError) {
        guard hiddenSize > 0 else { throw .invalidConfiguration("hidden size \(hiddenSize) must be positive") }
        try pooling.validate()
        self.hiddenSize = hiddenSize
        pooler = FrameEmbeddingPooler(pooling: pooling)
        name = model + "-" + pooling.statistics.map(\.description).joined(separator: "+")
    }

    /// Length of the pooled vector.
    public var dimension: Int { pooler.pooling.outputDimension(forFrameDimension: hiddenSize) }

    /// The pooled vector of the hidden states in `data` (a `.npy` file's bytes).
    public func embedding(fromNPY data: Data) throws(AudioError) -> [Float] {
        let frames = try pooler.frames(fromNPY: data)
        guard frames.dimension == hiddenSize else { throw .dimensionMismatch(expected: hiddenSize, actual: frames.dimension) }
        return try pooler.pooling.pool(frames)
    }

    /// The pooled vector of the `.npy` file at `url`.
    public func embedding(contentsOf url: URL) throws(AudioError) -> [Float] {
        try embedding(fromNPY: try FileBytes.contents(of: url))
    }
}
