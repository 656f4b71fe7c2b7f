import Foundation
import Synchronization

/// Converts a signal between sample rates with a Kaiser-windowed-sinc low-pass filter.
///
/// The rate ratio is reduced to `up/down`; output sample `n` lies at input time
/// `n·down/up`, so its filter phase is `(n·down) mod up`. For ratios with at most
/// `maximumTabulatedPhases` phases the kernel is tabulated per phase (polyphase);
/// otherwise (a rate such as 44,101 Hz) it is read from a table of the kernel sampled
/// `kernelOversampling` times per input sample, interpolated linearly. The cutoff sits at
/// `rolloff` of the lower Nyquist frequency, so content that would alias is attenuated first.
public struct Resampler: Sendable {
    /// The input rate in Hz.
    public let inputRate: Int
    /// The output rate in Hz.
    public let outputRate: Int

    /// Zero crossings of the sinc on each side: sets filter length and transition width.
    public static let zeroCrossings = 32
    /// Cutoff as a fraction of the lower Nyquist frequency.
    public static let rolloff = 0.94
    /// Kaiser β: about 80 dB stop-band attenuation.
    public static let kaiserBeta = 8.6
    /// Phase tables above this count are interpolated from `kernelTable` instead of stored.
    public static let maximumTabulatedPhases = 4_096
    /// Kernel samples per input sample in `kernelTable`: interpolation error below 1e-5 of the peak.
    static let kernelOversampling = 512

    let up: Int
    let down: Int
    /// Cutoff in cycles per input sample.
    let cutoff: Double
    /// Kernel half-width in input samples.
    let halfWidth: Double
    /// Taps per output sample.
    let taps: Int
    /// `taps` weights per phase, DC gain normalized to 1; empty for ratios with more phases.
    let table: [Float]
    /// The kernel at t = i / `kernelOversampling` input samples from its centre, i ≥ 0, for
    /// ratios with more phases than `maximumTabulatedPhases`; else empty.
    let kernelTable: [Float]

    /// A resampler from `inputRate` to `outputRate` Hz.
    public init(from inputRate: Int, to outputRate: Int) throws(AudioError) {
        guard inputRate > 0 else { throw .invalidSampleRate(inputRate) }
        guard outputRate > 0 else { throw .invalidSampleRate(outputRate) }
        self.inputRate = inputRate
        self.outputRate = outputRate
        let g = Self.gcd(inputRate, outputRate)
        up = outputRate / g
        down = inputRate / g
        cutoff = 0.5 * min(1, Double(up) / Double(down)) * Self.rolloff
        halfWidth = Double(Self.zeroCrossings) / (2 * cutoff)
        taps = 2 * Int(halfWidth.rounded(.up)) + 1
        if up != down && up <= Self.maximumTabulatedPhases {
            var table = [Float](repeating: 0, count: up * taps)
            for phase in 0..<up {
                Self.kernel(fraction: Double(phase) / Double(up), cutoff: cutoff, halfWidth: halfWidth, taps: taps,
                            into: &table, at: phase * taps)
            }
            self.table = table
            kernelTable = []
        } else if up != down {
            table = []
            let (cutoff, halfWidth) = (cutoff, halfWidth)
            let count = Int((halfWidth * Double(Self.kernelOversampling)).rounded(.up)) + 2
            kernelTable = (0..<count).map { index in
                Float(Self.kernelValue(at: Double(index) / Double(Self.kernelOversampling), cutoff: cutoff, halfWidth: halfWidth))
            }
        } else {
            table = []
            kernelTable = []
        }
    }

    /// A resampler from `inputRate` to `outputRate` Hz, shared by every caller in the process.
    ///
    /// Tabulating the phases costs far more than resampling a clip (22,050 → 16,000 Hz is 320
    /// phases of 95 Kaiser-windowed taps, about 1.5 ms), and a process meets few distinct rates,
    /// so the last few are kept.
    public static func shared(from inputRate: Int, to outputRate: Int) throws(AudioError) -> Resampler {
        let key = RatePair(input: inputRate, output: outputRate)
        if let known = recent.withLock({ $0.first { $0.key == key }?.resampler }) { return known }
        let made = try Resampler(from: inputRate, to: outputRate)
        recent.withLock { list in
            list.insert((key, made), at: 0)
            if list.count > sharedCapacity { list.removeLast() }
        }
        return made
    }

    /// How many rate pairs `shared` keeps.
    static let sharedCapacity = 8

    private struct RatePair: Equatable { var input: Int, output: Int }
    private static let recent = Mutex<[(key: RatePair, resampler: Resampler)]>([])

    /// Output samples for `input`; out-of-range input is taken as zero, so length is `ceil(count·up/down)`.
    public func process(_ input: [Float]) -> [Float] {
        if up == down { return input }
        let outputCount = (input.count * up + down - 1) / down
        let center = taps / 2
        var weights = [Float](repeating: 0, count: table.isEmpty ? taps : 0)
        return [Float](unsafeUninitializedCapacity: outputCount) { out, initialized in
            input.withUnsafeBufferPointer { x in
                table.withUnsafeBufferPointer { table in
                    for n in 0..<outputCount {
                        let position = n * down
                        let base = position / up
                        let phase = position % up
                        // Tap k weighs input sample first + k; taps past either end of the input see zeros.
                        let first = base - center
                        var sum: Float = 0
                        let lo = max(0, -first)
                        let hi = min(taps, x.count - first)
                        if lo < hi {
                            let signal = UnsafeBufferPointer(rebasing: x[(first + lo)..<(first + hi)])
                            if table.isEmpty {
                                interpolatedKernel(fraction: Double(phase) / Double(up), into: &weights)
                                sum = weights.withUnsafeBufferPointer { w in
                                    VectorKernels.dot(UnsafeBufferPointer(rebasing: w[lo..<hi]), signal)
                                }
                            } else {
                                let w = phase * taps
                                sum = VectorKernels.dot(UnsafeBufferPointer(rebasing: table[(w + lo)..<(w + hi)]), signal)
                            }
                        }
                        out[n] = sum
                    }
                }
            }
            initialized = outputCount
        }
    }

    /// Writes the `taps` weights for an output point `fraction` input samples after a tap centre,
    /// read from `kernelTable` and normalized to unit sum as `kernel` does.
    private func interpolatedKernel(fraction: Double, into weights: inout [Float]) {
        let center = taps / 2
        let samplesPerInput = Double(Self.kernelOversampling)
        kernelTable.withUnsafeBufferPointer { samples in
            weights.withUnsafeMutableBufferPointer { weights in
                var sum: Float = 0
                for k in 0..<taps {
                    let x = abs(Double(k - center) - fraction) * samplesPerInput
                    let index = Int(x)
                    var value: Float = 0
                    if index + 1 < samples.count {
                        let t = Float(x - Double(index))
                        value = samples[index] + (samples[index + 1] - samples[index]) * t
                    }
                    weights[k] = value
                    sum += value
                }
                Self.scale(weights, by: 1 / sum)
            }
        }
    }

    /// Multiplies every weight by `factor` (normalizing a phase to unit sum keeps DC exact).
    private static func scale(_ weights: UnsafeMutableBufferPointer<Float>, by factor: Float) {
        for k in weights.indices { weights[k] *= factor }
    }

    /// Writes the `taps` weights for an output point `fraction` input samples after a tap centre.
    ///
    /// Weight `k` belongs to input sample `base - taps/2 + k`, at distance `k - taps/2 - fraction`.
    /// Normalizing each phase to unit sum keeps DC exact, so no phase adds a ripple of its own.
    static func kernel(fraction: Double, cutoff: Double, halfWidth: Double, taps: Int, into weights: inout [Float], at start: Int) {
        let center = taps / 2
        var sum = 0.0
        for k in 0..<taps {
            let value = kernelValue(at: Double(k - center) - fraction, cutoff: cutoff, halfWidth: halfWidth)
            weights[start + k] = Float(value)
            sum += value
        }
        weights.withUnsafeMutableBufferPointer { all in
            scale(UnsafeMutableBufferPointer(rebasing: all[start..<(start + taps)]), by: Float(1 / sum))
        }
    }

    /// The Kaiser-windowed sinc `t` input samples from its centre (0 outside the half-width).
    static func kernelValue(at t: Double, cutoff: Double, halfWidth: Double) -> Double {
        guard abs(t) < halfWidth else { return 0 }
        let x = 2 * cutoff * t
        let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
        let r = t / halfWidth
        return 2 * cutoff * sinc * besselI0(kaiserBeta * (1 - r * r).squareRoot()) / i0Beta
    }

    /// I0(β), the window's normalizer.
    private static let i0Beta = besselI0(kaiserBeta)

    /// The modified Bessel function of the first kind, order 0, by its power series.
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0
        let q = x * x / 4
        var k = 1.0
        while term > sum * 1e-17 {
            term *= q / (k * k)
            sum += term
            k += 1
        }
        return sum
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
