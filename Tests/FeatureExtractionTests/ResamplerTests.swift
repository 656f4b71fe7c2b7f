import Foundation
import Testing
@testable import FeatureExtraction

struct ResamplerTests {
    /// Peak bin and peak amplitude of a Hann-windowed stretch from the middle of `signal`.
    func peak(_ signal: [Float], fftSize: Int) throws -> (bin: Int, amplitude: Float) {
        let start = (signal.count - fftSize) / 2
        let window = WindowFunction.hann.coefficients(count: fftSize)
        let frame = (0..<fftSize).map { signal[start + $0] * window[$0] }
        let power = try RealFFT(size: fftSize).powerSpectrum(frame)
        let bin = Signals.argmax(power)
        // A Hann window's coherent gain is 1/2: a sine of amplitude A peaks near A·N/4.
        return (bin, power[bin].squareRoot() * 4 / Float(fftSize))
    }

    @Test func downsamplingA440HzSineKeepsFrequencyAndAmplitude() throws {
        let input = Signals.sine(frequency: 440, sampleRate: 44_100, seconds: 1, amplitude: 0.5)
        let output = try Resampler(from: 44_100, to: 16_000).process(input)
        #expect(output.count == 16_000)
        let (bin, _) = try peak(output, fftSize: 8192)
        let expected = Int((440.0 * 8192 / 16_000).rounded())
        #expect(abs(bin - expected) <= 1)
        // Amplitude of the steady-state part, away from the edges.
        let middle = output[2000..<14000]
        let amplitude = middle.map { abs($0) }.max() ?? 0
        #expect(abs(amplitude - 0.5) < 0.5 * 0.02)
        // Matches the ideal 16 kHz sine sample by sample, away from the edges.
        let ideal = Signals.sine(frequency: 440, sampleRate: 16_000, seconds: 1, amplitude: 0.5)
        let worst = (2000..<14000).map { abs(output[$0] - ideal[$0]) }.max() ?? 1
        #expect(worst < 0.01)
    }

    @Test func aToneAboveTheNewNyquistIsRemoved() throws {
        // 12 kHz would alias to 4 kHz at 16 kHz without the filter.
        let input = Signals.sine(frequency: 12_000, sampleRate: 48_000, seconds: 0.5, amplitude: 0.5)
        let output = try Resampler(from: 48_000, to: 16_000).process(input)
        let rms = (output[1000..<7000].map { $0 * $0 }.reduce(0, +) / 6000).squareRoot()
        #expect(rms < 0.5 * 1e-3)
    }

    @Test func upsamplingKeepsTheTone() throws {
        let input = Signals.sine(frequency: 1000, sampleRate: 8_000, seconds: 1, amplitude: 0.25)
        let output = try Resampler(from: 8_000, to: 16_000).process(input)
        #expect(output.count == 16_000)
        let ideal = Signals.sine(frequency: 1000, sampleRate: 16_000, seconds: 1, amplitude: 0.25)
        let worst = (1000..<15000).map { abs(output[$0] - ideal[$0]) }.max() ?? 1
        #expect(worst < 0.005)
    }

    @Test func untabulatedRatioAgreesWithTheIdealSine() throws {
        // 16001/44100 has more phases than are tabulated, so the kernel is computed on the fly.
        let resampler = try Resampler(from: 44_100, to: 16_001)
        #expect(resampler.table.isEmpty)
        let input = Signals.sine(frequency: 440, sampleRate: 44_100, seconds: 0.25, amplitude: 0.5)
        let output = resampler.process(input)
        let ideal = Signals.sine(frequency: 440, sampleRate: 16_001, seconds: 0.25, amplitude: 0.5)
        let worst = (500..<3500).map { abs(output[$0] - ideal[$0]) }.max() ?? 1
        #expect(worst < 0.01)
    }

    @Test func equalRatesAreTheIdentity() throws {
        let input = Signals.noise(count: 1000)
        #expect(try Resampler(from: 16_000, to: 16_000).process(input) == input)
        let clip = AudioClip(samples: input, sampleRate: 16_000)
        #expect(try clip.resampled(to: 16_000) == clip)
    }

    @Test func constantSignalStaysConstant() throws {
        let output = try Resampler(from: 22_050, to: 16_000).process([Float](repeating: 0.3, count: 4000))
        let worst = output[100..<2800].map { abs($0 - 0.3) }.max() ?? 1
        #expect(worst < 1e-5)
    }

    @Test func nonPositiveRatesThrow() {
        #expect(throws: AudioError.invalidSampleRate(0)) { try Resampler(from: 0, to: 16_000) }
        #expect(throws: AudioError.invalidSampleRate(-1)) { try Resampler(from: 16_000, to: -1) }
        #expect(throws: AudioError.invalidSampleRate(0)) { try Resampler.shared(from: 0, to: 16_000) }
    }

    /// A ratio with too many phases to tabulate reads an interpolated kernel: its output matches
    /// the exact Kaiser-windowed sinc, evaluated per output sample, to 1e-4 of full scale.
    @Test(arguments: [(192_001, 16_000), (7_919, 16_000), (44_100, 16_001)])
    func interpolatedKernelsMatchTheExactOnes(input: Int, output: Int) throws {
        let resampler = try Resampler(from: input, to: output)
        #expect(resampler.table.isEmpty && !resampler.kernelTable.isEmpty)
        let signal = Signals.noise(count: input / 10)
        let fast = resampler.process(signal)
        var weights = [Float](repeating: 0, count: resampler.taps)
        var worst: Float = 0
        for n in Swift.stride(from: 0, to: fast.count, by: 97) {
            let position = n * resampler.down
            let first = position / resampler.up - resampler.taps / 2
            Resampler.kernel(fraction: Double(position % resampler.up) / Double(resampler.up), cutoff: resampler.cutoff,
                             halfWidth: resampler.halfWidth, taps: resampler.taps, into: &weights, at: 0)
            var exact: Float = 0
            for k in 0..<resampler.taps where first + k >= 0 && first + k < signal.count { exact += weights[k] * signal[first + k] }
            worst = max(worst, abs(exact - fast[n]))
        }
        #expect(worst < 1e-4)
    }

    /// The shared resamplers give what a fresh one gives, for more rate pairs than are kept.
    @Test func sharedResamplersMatchFreshOnes() throws {
        let input = Signals.noise(count: 3000)
        let rates = [8_000, 11_025, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000, 12_000, 22_050, 44_100]
        #expect(rates.count > Resampler.sharedCapacity)
        for rate in rates + rates.reversed() {
            let shared = try Resampler.shared(from: rate, to: 16_000)
            #expect(shared.inputRate == rate && shared.outputRate == 16_000)
            #expect(shared.process(input) == (try Resampler(from: rate, to: 16_000)).process(input))
        }
    }
}
