/// Per-utterance cepstral mean and variance normalization (CMVN): each coefficient's mean over the
/// clip's frames is taken away, and optionally its spread divided out. A fixed channel or vocal
/// tract shifts every frame's cepstrum by about the same amount, so this takes out much of the
/// speaker and the microphone and leaves how the sound moves.
public enum UtteranceNormalization: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// Frames as extracted.
    case none
    /// Each coefficient's mean over the clip subtracted (CMN).
    case mean
    /// Each coefficient's mean subtracted and its standard deviation divided out (CMVN).
    case meanAndVariance

    /// `features` normalized this way; a coefficient that does not vary keeps only its mean removed.
    public func apply(to features: FeatureMatrix) -> FeatureMatrix {
        guard self != .none, features.frameCount > 0 else { return features }
        var out = features
        let frames = features.frameCount, width = features.dimension
        out.values.withUnsafeMutableBufferPointer { values in
            for j in 0..<width {
                var sum = 0.0
                for t in 0..<frames { sum += Double(values[t * width + j]) }
                let mean = sum / Double(frames)
                var scale = 1.0
                if self == .meanAndVariance {
                    var squares = 0.0
                    for t in 0..<frames {
                        let d = Double(values[t * width + j]) - mean
                        squares += d * d
                    }
                    let deviation = (squares / Double(frames)).squareRoot()
                    scale = deviation > 1e-6 ? 1 / deviation : 1
                }
                for t in 0..<frames { values[t * width + j] = Float((Double(values[t * width + j]) - mean) * scale) }
            }
        }
        return out
    }
}
