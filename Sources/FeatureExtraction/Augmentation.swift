import Foundation

/// More examples from one recording, for learning from few voices: the clip played faster or
/// slower (which moves its pitch and formants with its pace, as a shorter or longer vocal tract
/// would), the clip at another pitch and the same length (played faster or slower, then brought
/// back to its length by `TimeStretch`), and the clip with white noise at a signal-to-noise ratio.
/// Seeded, so the same clip and settings always give the same variants.
public struct Augmentation: Sendable, Equatable {
    /// Playback speed factors other than 1, e.g. 0.9 and 1.1.
    public var speeds: [Double]
    /// Pitch shifts in semitones at the same length, e.g. −2 and 2.
    public var pitchShifts: [Double]
    /// Signal-to-noise ratios (dB) of noisy copies of the original, e.g. 20.
    public var noiseRatios: [Double]
    /// Seed of the noise.
    public var seed: UInt64

    /// Speeds 0.5…2, pitch shifts −12…12 semitones and ratios −10…60 dB are taken; throws
    /// `invalidConfiguration` otherwise.
    public init(speeds: [Double] = [], pitchShifts: [Double] = [], noiseRatios: [Double] = [], seed: UInt64 = 1) throws(AudioError) {
        for speed in speeds where !(0.5...2).contains(speed) {
            throw .invalidConfiguration("a speed factor must be 0.5…2, got \(speed)")
        }
        for shift in pitchShifts where !(-12...12).contains(shift) {
            throw .invalidConfiguration("a pitch shift must be −12…12 semitones, got \(shift)")
        }
        for ratio in noiseRatios where !(-10...60).contains(ratio) {
            throw .invalidConfiguration("a signal-to-noise ratio must be −10…60 dB, got \(ratio)")
        }
        self.speeds = speeds.filter { $0 != 1 }
        self.pitchShifts = pitchShifts.filter { $0 != 0 }
        self.noiseRatios = noiseRatios
        self.seed = seed
    }

    /// Variants made per clip.
    public var count: Int { speeds.count + pitchShifts.count + noiseRatios.count }

    /// The variants of `clip` (not the clip itself): one per speed, one per pitch shift, then
    /// one per noise ratio.
    public func variants(of clip: AudioClip) throws(AudioError) -> [AudioClip] {
        var out: [AudioClip] = []
        for speed in speeds { out.append(try Self.played(clip, atSpeed: speed)) }
        for shift in pitchShifts {
            let factor = pow(2, shift / 12)
            let faster = try Self.played(clip, atSpeed: factor)
            out.append(AudioClip(samples: TimeStretch.stretch(faster.samples, by: factor, sampleRate: clip.sampleRate), sampleRate: clip.sampleRate))
        }
        guard !noiseRatios.isEmpty, !clip.samples.isEmpty else { return out }
        var power = 0.0
        for sample in clip.samples { power += Double(sample) * Double(sample) }
        power /= Double(clip.samples.count)
        var random = NoiseGenerator(seed: seed &+ UInt64(clip.samples.count))
        for ratio in noiseRatios {
            let deviation = Float((power / pow(10, ratio / 10)).squareRoot())
            let noisy = clip.samples.map { max(-1, min(1, $0 + deviation * random.gaussian())) }
            out.append(AudioClip(samples: noisy, sampleRate: clip.sampleRate))
        }
        return out
    }
}

extension Augmentation {
    /// `clip` played `speed` times as fast: its samples read as if recorded at speed × the rate,
    /// brought back to the rate.
    static func played(_ clip: AudioClip, atSpeed speed: Double) throws(AudioError) -> AudioClip {
        let played = Int((Double(clip.sampleRate) * speed).rounded())
        let resampler = try Resampler.shared(from: played, to: clip.sampleRate)
        return AudioClip(samples: resampler.process(clip.samples), sampleRate: clip.sampleRate)
    }
}

/// Gaussian noise from a seeded xorshift generator (Box–Muller).
struct NoiseGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    private mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// A uniform number in (0, 1].
    private mutating func uniform() -> Double { Double(next() >> 11 &+ 1) / Double(1 << 53) }

    /// A standard normal number.
    mutating func gaussian() -> Float {
        Float((-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()))
    }
}
