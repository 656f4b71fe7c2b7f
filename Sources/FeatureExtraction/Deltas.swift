/// Time derivatives of frame features by linear regression over ±`width` frames.
///
/// `d[t] = Σₙ n·(c[t+n] − c[t−n]) / (2·Σₙ n²)`, `n = 1…width` (HTK eq. 5.16);
/// frames beyond either end repeat the edge frame, so the output has as many frames as the input.
public enum Deltas {
    /// The deltas of `features` over ±`width` frames.
    public static func of(_ features: FeatureMatrix, width: Int = 2) throws(AudioError) -> FeatureMatrix {
        guard width >= 1 else { throw .invalidConfiguration("delta width \(width) must be ≥ 1") }
        var out = FeatureMatrix(zeros: features.frameCount, dimension: features.dimension)
        features.values.withUnsafeBufferPointer { input in
            out.values.withUnsafeMutableBufferPointer { output in
                compute(input, into: output, frames: features.frameCount, dimension: features.dimension, width: width)
            }
        }
        return out
    }

    /// Deltas of a row-major `frames × dimension` buffer into `output`.
    static func compute(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                        frames: Int, dimension: Int, width: Int) {
        guard frames > 0 else { return }
        var norm = 0
        for n in 1...width { norm += n * n }
        let scale = 1 / Float(2 * norm)
        for t in 0..<frames {
            let row = t * dimension
            for j in 0..<dimension { output[row + j] = 0 }
            for n in 1...width {
                let ahead = min(t + n, frames - 1) * dimension
                let behind = max(t - n, 0) * dimension
                let weight = Float(n) * scale
                for j in 0..<dimension { output[row + j] += weight * (input[ahead + j] - input[behind + j]) }
            }
        }
    }
}
