import Foundation

/// Mono audio as floating-point samples in [-1, 1] at a known sample rate.
public struct AudioClip: Sendable, Equatable {
    /// The samples, full scale ±1.
    public var samples: [Float]
    /// Samples per second.
    public var sampleRate: Int

    /// A clip from samples already mixed to mono.
    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// The clip's length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }

    /// Reads a WAV file and mixes it to mono; see `WAVFile` for what is accepted.
    public init(contentsOf url: URL) throws(AudioError) {
        self = try WAVFile(contentsOf: url).clip
    }

    /// Parses WAV bytes and mixes them to mono; see `WAVFile` for what is accepted.
    public init(wavData data: Data) throws(AudioError) {
        self = try WAVFile(data: data).clip
    }

    /// The same audio at another sample rate, through an anti-aliasing `Resampler`.
    public func resampled(to rate: Int) throws(AudioError) -> AudioClip {
        if rate == sampleRate { return self }
        let resampler = try Resampler.shared(from: sampleRate, to: rate)
        return AudioClip(samples: resampler.process(samples), sampleRate: rate)
    }
}
