import Foundation

/// Changing a clip's length without changing its pitch (WSOLA, waveform-similarity overlap-add):
/// output frames of 30 ms at half-frame hops are taken from the input at the stretched place,
/// each moved by up to a quarter frame to where it best continues the frame before, and added
/// under a Hann window (whose halves sum to one). Used with resampling to move a clip's pitch.
enum TimeStretch {
    /// `samples` (at `sampleRate` Hz) made `factor` times as long (0.25…4); unchanged when too
    /// short for two frames.
    static func stretch(_ samples: [Float], by factor: Double, sampleRate: Int) -> [Float] {
        let frame = max(16, Int(0.03 * Double(sampleRate))) & ~1
        let hop = frame / 2, tolerance = frame / 4
        guard factor.isFinite, factor >= 0.25, factor <= 4, samples.count >= 2 * frame else { return samples }
        let outputCount = Int((Double(samples.count) * factor).rounded())
        var output = [Float](repeating: 0, count: outputCount + frame)
        let window: [Float] = (0..<frame).map { index in
            let phase = 2 * Double.pi * Double(index) / Double(frame)
            return Float(0.5 - 0.5 * cos(phase))
        }
        let analysisHop = Double(hop) / factor
        var previous = 0  // where the last frame was taken from
        var k = 0
        samples.withUnsafeBufferPointer { input in
            while k * hop < outputCount {
                let nominal = Int((Double(k) * analysisHop).rounded())
                var start = min(max(nominal, 0), input.count - frame)
                if k > 0 {
                    // the natural continuation of the last frame, one hop on
                    let natural = min(previous + hop, input.count - frame)
                    var best = -Float.infinity
                    let low = max(0, start - tolerance), high = min(input.count - frame, start + tolerance)
                    if low <= high {
                        for candidate in low...high {
                            var correlation: Float = 0
                            for n in 0..<hop { correlation += input[candidate + n] * input[natural + n] }
                            if correlation > best { best = correlation; start = candidate }
                        }
                    }
                }
                for n in 0..<frame { output[k * hop + n] += window[n] * input[start + n] }
                previous = start
                k += 1
            }
        }
        return Array(output.prefix(outputCount))
    }
}
