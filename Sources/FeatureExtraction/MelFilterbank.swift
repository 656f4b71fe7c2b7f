import Foundation

/// Triangular filters equally spaced on the HTK mel scale, applied to a power spectrum.
///
/// Each filter peaks at 1 at its centre (HTK convention, no area normalization) and
/// is stored as its non-zero span only, so applying the bank costs one pass over the
/// bins each filter touches.
public struct MelFilterbank: Sendable {
    /// Number of filters.
    public let filterCount: Int
    /// Spectrum bins the bank expects: `fftSize / 2 + 1`.
    public let binCount: Int
    /// Centre frequency of each filter in Hz, ascending.
    public let centerFrequencies: [Double]
    /// First bin of each filter's non-zero span.
    let starts: [Int]
    /// Weights of each filter's span, concatenated; filter `m` starts at `offsets[m]`.
    let weights: [Float]
    let offsets: [Int]

    /// A bank of `filterCount` filters between `minimumFrequency` and `maximumFrequency` Hz.
    public init(filterCount: Int, fftSize: Int, sampleRate: Int, minimumFrequency: Double, maximumFrequency: Double) throws(AudioError) {
        guard sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
        guard filterCount > 0 else { throw .invalidConfiguration("mel filter count \(filterCount) must be positive") }
        guard fftSize >= 2 else { throw .invalidConfiguration("FFT size \(fftSize) too small") }
        let nyquist = Double(sampleRate) / 2
        guard minimumFrequency >= 0, minimumFrequency < maximumFrequency, maximumFrequency <= nyquist else {
            throw .invalidConfiguration("mel range \(minimumFrequency)–\(maximumFrequency) Hz must lie within 0–\(nyquist) Hz")
        }
        self.filterCount = filterCount
        binCount = fftSize / 2 + 1
        let low = MelScale.mel(fromHertz: minimumFrequency)
        let high = MelScale.mel(fromHertz: maximumFrequency)
        let edges = (0..<(filterCount + 2)).map {
            MelScale.hertz(fromMel: low + (high - low) * Double($0) / Double(filterCount + 1))
        }
        centerFrequencies = Array(edges[1...filterCount])
        let binHertz = Double(sampleRate) / Double(fftSize)
        var starts: [Int] = [], offsets: [Int] = [], weights: [Float] = []
        for m in 0..<filterCount {
            let (left, center, right) = (edges[m], edges[m + 1], edges[m + 2])
            var first = -1
            offsets.append(weights.count)
            for k in 0..<binCount {
                let f = Double(k) * binHertz
                guard f > left, f < right else {
                    if first >= 0 { break }
                    continue
                }
                if first < 0 { first = k }
                weights.append(Float(f <= center ? (f - left) / (center - left) : (right - f) / (right - center)))
            }
            // A filter narrower than one bin would otherwise see nothing; give it the nearest bin.
            if first < 0 {
                first = min(binCount - 1, Int((center / binHertz).rounded()))
                weights.append(1)
            }
            starts.append(first)
        }
        offsets.append(weights.count)
        self.starts = starts
        self.offsets = offsets
        self.weights = weights
    }

    /// Filter energies for one power spectrum of `binCount` values.
    public func apply(_ power: [Float]) throws(AudioError) -> [Float] {
        guard power.count == binCount else { throw .dimensionMismatch(expected: binCount, actual: power.count) }
        var out = [Float](repeating: 0, count: filterCount)
        power.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in apply(p, into: o) } }
        return out
    }

    /// Filter energies of `power` into `energies` (`filterCount` values).
    func apply(_ power: UnsafeBufferPointer<Float>, into energies: UnsafeMutableBufferPointer<Float>) {
        weights.withUnsafeBufferPointer { w in
            for m in 0..<filterCount {
                var sum: Float = 0
                let start = starts[m]
                for i in offsets[m]..<offsets[m + 1] { sum += w[i] * power[start + i - offsets[m]] }
                energies[m] = sum
            }
        }
    }
}
