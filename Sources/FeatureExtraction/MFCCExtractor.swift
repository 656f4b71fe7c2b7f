import Foundation

/// Mel-frequency cepstral coefficients, optionally with deltas, pooled into one vector per clip.
///
/// Pipeline: resample to `sampleRate` → pre-emphasis → frames (no padding: a
/// frame is made only where a whole window fits) → window → power spectrum →
/// HTK mel filterbank → natural log → orthonormal DCT-II → deltas → pooling.
/// Window, filterbank, DCT basis and FFT twiddles are built once here; one
/// extraction allocates its working buffers once, never per frame.
public struct MFCCExtractor: FeatureExtractor {
    /// The parameters this extractor was built with.
    public let configuration: MFCCConfiguration
    /// Frame length in samples.
    public let windowLength: Int
    /// Frame advance in samples.
    public let hopLength: Int
    let fft: RealFFT
    let windowCoefficients: [Float]
    let filterbank: MelFilterbank
    let dct: DCT

    /// An extractor for `configuration`; throws if a parameter is out of range.
    public init(configuration: MFCCConfiguration = .default) throws(AudioError) {
        let c = configuration
        guard c.sampleRate > 0 else { throw .invalidSampleRate(c.sampleRate) }
        // Checked in Double before `windowLength`/`hopLength` convert to Int, which would trap on NaN or huge values.
        let windowSamples = (c.windowDuration * Double(c.sampleRate)).rounded()
        let hopSamples = (c.hopDuration * Double(c.sampleRate)).rounded()
        guard (2...Double(1 << 24)).contains(windowSamples), (1...Double(1 << 24)).contains(hopSamples) else {
            throw .invalidConfiguration("window \(c.windowDuration) s and hop \(c.hopDuration) s must give 2…2²⁴ and 1…2²⁴ samples")
        }
        if let alpha = c.preEmphasis, !(0...1).contains(alpha) {
            throw .invalidConfiguration("pre-emphasis \(alpha) is outside 0…1")
        }
        guard c.deltaWidth >= 1 else { throw .invalidConfiguration("delta width \(c.deltaWidth) must be ≥ 1") }
        guard c.silenceThreshold >= 0, c.logFloor > 0 else {
            throw .invalidConfiguration("silence threshold must be ≥ 0 and log floor > 0")
        }
        if let decibels = c.trimmedSilenceDecibels, !(decibels > 0 && decibels.isFinite) {
            throw .invalidConfiguration("silence trimming takes a finite number of decibels > 0, got \(decibels)")
        }
        try c.pooling.validate()
        let fftSize = c.fftSize ?? Self.nextPowerOfTwo(c.windowLength)
        guard fftSize >= c.windowLength else {
            throw .invalidConfiguration("FFT size \(fftSize) is shorter than the \(c.windowLength)-sample window")
        }
        self.configuration = c
        windowLength = c.windowLength
        hopLength = c.hopLength
        fft = try RealFFT(size: fftSize)
        windowCoefficients = c.window.coefficients(count: c.windowLength)
        filterbank = try MelFilterbank(filterCount: c.melFilterCount, fftSize: fftSize, sampleRate: c.sampleRate,
                                       minimumFrequency: c.minimumFrequency,
                                       maximumFrequency: c.maximumFrequency ?? Double(c.sampleRate) / 2)
        dct = try DCT(inputCount: c.melFilterCount, outputCount: c.coefficientCount)
    }

    /// E.g. "mfcc13+d+dd-mean+std-16000Hz".
    public var name: String {
        let c = configuration
        return "mfcc\(c.coefficientCount)" + (c.includeDeltas ? "+d" : "") + (c.includeDeltaDeltas ? "+dd" : "")
            + (c.trimmedSilenceDecibels.map { "-trim\($0)dB" } ?? "")
            + "-" + c.pooling.statistics.map(\.description).joined(separator: "+") + "-\(c.sampleRate)Hz"
    }

    /// Length of the pooled vector.
    public var dimension: Int { configuration.dimension }

    /// The analysis rate in Hz.
    public var sampleRate: Int { configuration.sampleRate }

    /// The pooled feature vector of `samples` at `sampleRate` Hz.
    public func features(from samples: [Float], sampleRate: Int) throws(AudioError) -> [Float] {
        try configuration.pooling.pool(frameFeatures(from: samples, sampleRate: sampleRate))
    }

    /// Frame-level features (MFCCs, then deltas, then delta-deltas per row) before pooling.
    public func frameFeatures(from samples: [Float], sampleRate: Int) throws(AudioError) -> FeatureMatrix {
        let cepstra = try cepstra(from: samples, sampleRate: sampleRate)
        let c = configuration
        guard c.includeDeltas || c.includeDeltaDeltas else { return cepstra }
        let frames = cepstra.frameCount, d = cepstra.dimension
        var out = FeatureMatrix(zeros: frames, dimension: c.frameDimension)
        var deltas = [Float](repeating: 0, count: frames * d)
        var deltaDeltas = [Float](repeating: 0, count: c.includeDeltaDeltas ? frames * d : 0)
        cepstra.values.withUnsafeBufferPointer { base in
            deltas.withUnsafeMutableBufferPointer { delta in
                Deltas.compute(base, into: delta, frames: frames, dimension: d, width: c.deltaWidth)
                if c.includeDeltaDeltas {
                    deltaDeltas.withUnsafeMutableBufferPointer { dd in
                        Deltas.compute(UnsafeBufferPointer(delta), into: dd, frames: frames, dimension: d, width: c.deltaWidth)
                    }
                }
            }
            out.values.withUnsafeMutableBufferPointer { o in
                let width = c.frameDimension
                for t in 0..<frames {
                    var column = t * width
                    for j in 0..<d { o[column + j] = base[t * d + j] }
                    column += d
                    if c.includeDeltas {
                        for j in 0..<d { o[column + j] = deltas[t * d + j] }
                        column += d
                    }
                    if c.includeDeltaDeltas {
                        for j in 0..<d { o[column + j] = deltaDeltas[t * d + j] }
                    }
                }
            }
        }
        return out
    }

    /// MFCCs per frame, `coefficientCount` wide: of the frames `SilenceTrimming` keeps when the
    /// configuration trims silence, else of every frame.
    public func cepstra(from samples: [Float], sampleRate inputRate: Int) throws(AudioError) -> FeatureMatrix {
        let logMel = try logMelSpectrogram(from: samples, sampleRate: inputRate)
        let kept = configuration.trimmedSilenceDecibels.map { SilenceTrimming.speechFrames(ofLogMel: logMel, within: $0) }
            ?? 0..<logMel.frameCount
        var out = FeatureMatrix(zeros: kept.count, dimension: dct.outputCount)
        logMel.values.withUnsafeBufferPointer { mel in
            out.values.withUnsafeMutableBufferPointer { o in
                let m = dct.inputCount, k = dct.outputCount
                for (row, t) in kept.enumerated() {
                    dct.transform(UnsafeBufferPointer(rebasing: mel[(t * m)..<((t + 1) * m)]),
                                  into: UnsafeMutableBufferPointer(rebasing: o[(row * k)..<((row + 1) * k)]))
                }
            }
        }
        return out
    }

    /// Input sample rates taken, in Hz: what audio files use (telephony at 8 kHz to studio at
    /// 768 kHz) with room on both sides. A header claiming 1 Hz would otherwise make a second of
    /// samples into hours of audio to resample.
    public static let supportedInputRates = 1_000...1_000_000

    /// Natural-log mel energies per frame, `melFilterCount` wide.
    ///
    /// Throws, in this order of checks: `invalidSampleRate` for a rate outside
    /// `supportedInputRates`, `noSamples` for an empty input, `nonFinite` for NaN/∞, `tooShort`
    /// when not one window fits, and `silent` when the RMS is below `silenceThreshold`
    /// (default 1e-4 of full scale, −80 dBFS).
    public func logMelSpectrogram(from samples: [Float], sampleRate inputRate: Int) throws(AudioError) -> FeatureMatrix {
        guard Self.supportedInputRates.contains(inputRate) else { throw .invalidSampleRate(inputRate) }
        guard !samples.isEmpty else { throw .noSamples }
        let rms = try Self.checkedRMS(samples)
        // Length before level: a clip too short to analyse is that, whatever its level.
        // `Resampler` yields ceil(count · out / in) samples, so the check needs no resampling.
        let (product, overflow) = samples.count.multipliedReportingOverflow(by: sampleRate)
        guard !overflow, (product + inputRate - 1) / inputRate >= windowLength else {
            throw .tooShort(seconds: Double(samples.count) / Double(inputRate))
        }
        if rms < Double(configuration.silenceThreshold) { throw .silent }
        let signal = inputRate == sampleRate ? samples : try Resampler.shared(from: inputRate, to: sampleRate).process(samples)
        let frames = 1 + (signal.count - windowLength) / hopLength
        let filters = filterbank.filterCount
        var out = FeatureMatrix(zeros: frames, dimension: filters)
        let fftSize = fft.size, bins = fft.binCount
        let alpha = configuration.preEmphasis ?? 0
        let floor = configuration.logFloor
        // Scratch for one frame at a time, reused across frames.
        var frame = [Float](repeating: 0, count: fftSize)
        var scratch = [Float](repeating: 0, count: 3 * bins)
        signal.withUnsafeBufferPointer { x in
            windowCoefficients.withUnsafeBufferPointer { w in
                frame.withUnsafeMutableBufferPointer { f in
                    scratch.withUnsafeMutableBufferPointer { s in
                        out.values.withUnsafeMutableBufferPointer { o in
                            let re = UnsafeMutableBufferPointer(rebasing: s[0..<bins])
                            let im = UnsafeMutableBufferPointer(rebasing: s[bins..<(2 * bins)])
                            let power = UnsafeMutableBufferPointer(rebasing: s[(2 * bins)..<(3 * bins)])
                            for t in 0..<frames {
                                let start = t * hopLength
                                // Pre-emphasis on the whole signal, computed per frame so it needs no copy;
                                // the first sample of the signal has no predecessor and is kept.
                                for n in 0..<windowLength {
                                    let i = start + n
                                    let previous = i > 0 ? x[i - 1] : 0
                                    f[n] = (x[i] - alpha * previous) * w[n]
                                }
                                let mel = UnsafeMutableBufferPointer(rebasing: o[(t * filters)..<((t + 1) * filters)])
                                fft.powerSpectrum(UnsafeBufferPointer(f), into: power, real: re, imaginary: im)
                                filterbank.apply(UnsafeBufferPointer(power), into: mel)
                                for m in 0..<filters { mel[m] = log(max(mel[m], floor)) }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The RMS of `samples` (full scale 1), after checking every value is finite.
    static func checkedRMS(_ samples: [Float]) throws(AudioError) -> Double {
        var sum = 0.0
        for (i, v) in samples.enumerated() {
            guard v.isFinite else { throw .nonFinite(index: i) }
            sum += Double(v) * Double(v)
        }
        return (sum / Double(samples.count)).squareRoot()
    }

    private static func nextPowerOfTwo(_ n: Int) -> Int {
        var p = 1
        while p < n { p <<= 1 }
        return p
    }
}
