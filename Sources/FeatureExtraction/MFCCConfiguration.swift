/// Parameters of `MFCCExtractor`: framing, filterbank, cepstra, deltas and pooling.
public struct MFCCConfiguration: Sendable, Equatable, Hashable, Codable {
    /// Analysis rate in Hz; input at other rates is resampled.
    public var sampleRate: Int = 16_000
    /// Frame length in seconds.
    public var windowDuration: Double = 0.025
    /// Frame advance in seconds.
    public var hopDuration: Double = 0.010
    /// FFT length; `nil` picks the next power of two ≥ the frame length.
    public var fftSize: Int? = nil
    /// Taper applied to each frame.
    public var window: WindowFunction = .hann
    /// First-order pre-emphasis coefficient `y[n] = x[n] − α·x[n−1]`; `nil` disables it.
    public var preEmphasis: Float? = 0.97
    /// Number of mel filters.
    public var melFilterCount: Int = 40
    /// Lower edge of the lowest mel filter, Hz.
    public var minimumFrequency: Double = 20
    /// Upper edge of the highest mel filter, Hz; `nil` is the Nyquist frequency.
    public var maximumFrequency: Double? = nil
    /// Cepstral coefficients kept, c0 included.
    public var coefficientCount: Int = 13
    /// Whether to append first-order deltas.
    public var includeDeltas: Bool = true
    /// Whether to append second-order deltas (deltas of the deltas).
    public var includeDeltaDeltas: Bool = true
    /// Regression half-width in frames for deltas.
    public var deltaWidth: Int = 2
    /// How frames are pooled into one vector.
    public var pooling: Pooling = .meanAndStandardDeviation
    /// Clips whose RMS is below this (full scale = 1) are rejected as silent: 1e-4 is −80 dBFS.
    public var silenceThreshold: Float = 1e-4
    /// Floor on mel energies before the log, so empty bands give a finite value.
    public var logFloor: Float = 1e-10
    /// Leading and trailing frames quieter than the loudest by more than this many decibels are
    /// left out before cepstra are taken (`SilenceTrimming`); nil keeps every frame.
    public var trimmedSilenceDecibels: Float? = nil

    /// The defaults: 13 MFCCs + deltas + delta-deltas, mean and standard deviation → 78 values.
    public init() {}

    /// The defaults: 13 MFCCs + deltas + delta-deltas, mean and standard deviation → 78 values.
    public static let `default` = MFCCConfiguration()

    /// 13 MFCCs without deltas, mean and standard deviation → 26 values.
    public static let baseline: MFCCConfiguration = {
        var c = MFCCConfiguration()
        c.includeDeltas = false
        c.includeDeltaDeltas = false
        return c
    }()

    /// For spoken words: 13 MFCCs with deltas and delta-deltas, silence trimmed 35 dB below the
    /// loudest frame, pooled as the means of four consecutive quarters of the word and the
    /// deviation over all of it (5 × 39 = 195 values), so the vector keeps the order of the sounds.
    /// On tools/make-speech-set.sh's unseen voices (prototype, 864 clips): 0.836 for `default`,
    /// 0.888 with the trimming alone, 0.910 with the quarters too.
    public static let speech: MFCCConfiguration = {
        var c = MFCCConfiguration()
        c.trimmedSilenceDecibels = 35
        c.pooling = .segments(4)
        return c
    }()

    /// Values per frame before pooling.
    public var frameDimension: Int {
        coefficientCount * (1 + (includeDeltas ? 1 : 0) + (includeDeltaDeltas ? 1 : 0))
    }

    /// Length of the pooled vector.
    public var dimension: Int { pooling.outputDimension(forFrameDimension: frameDimension) }

    /// Frame length in samples at `sampleRate`; 0 when the duration is not a usable number.
    public var windowLength: Int { Self.sampleCount(windowDuration, at: sampleRate) }

    /// Frame advance in samples at `sampleRate`; 0 when the duration is not a usable number.
    public var hopLength: Int { Self.sampleCount(hopDuration, at: sampleRate) }

    /// Rounds seconds to samples without trapping on NaN or out-of-range values, which a decoded configuration may hold.
    private static func sampleCount(_ seconds: Double, at rate: Int) -> Int {
        let samples = (seconds * Double(rate)).rounded()
        return samples.isFinite && abs(samples) < 1e15 ? Int(samples) : 0
    }
}
