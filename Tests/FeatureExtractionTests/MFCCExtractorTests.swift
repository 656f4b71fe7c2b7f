import Foundation
import Testing
@testable import FeatureExtraction

struct MFCCExtractorTests {
    let speechLike: [Float] = {
        // Harmonics of 150 Hz under a slow envelope, plus a little noise: a rough voiced sound.
        let noise = Signals.noise(count: 16_000, amplitude: 0.01)
        return (0..<16_000).map { n in
            let t = Double(n) / 16_000
            var v = 0.0
            for h in 1...12 { v += sin(2 * Double.pi * 150 * Double(h) * t) / Double(h) }
            return Float(0.2 * v * (0.6 + 0.4 * sin(2 * Double.pi * 3 * t))) + noise[n]
        }
    }()

    @Test func defaultAndBaselineDimensionsAndNames() throws {
        let full = try MFCCExtractor()
        #expect(full.dimension == 78)
        #expect(full.sampleRate == 16_000)
        #expect(full.name == "mfcc13+d+dd-mean+std-16000Hz")
        #expect(try full.features(from: speechLike, sampleRate: 16_000).count == 78)
        let baseline = try MFCCExtractor(configuration: .baseline)
        #expect(baseline.dimension == 26)
        #expect(baseline.name == "mfcc13-mean+std-16000Hz")
        #expect(try baseline.features(from: speechLike, sampleRate: 16_000).count == 26)
    }

    @Test func framingUsesWholeWindowsOnly() throws {
        let extractor = try MFCCExtractor()
        #expect(extractor.windowLength == 400 && extractor.hopLength == 160 && extractor.fft.size == 512)
        let frames = try extractor.frameFeatures(from: speechLike, sampleRate: 16_000)
        #expect(frames.frameCount == 1 + (16_000 - 400) / 160)
        #expect(frames.dimension == 39)
    }

    @Test func scalingTheSignalChangesOnlyC0() throws {
        let extractor = try MFCCExtractor()
        let scale: Float = 0.25
        let a = try extractor.cepstra(from: speechLike, sampleRate: 16_000)
        let b = try extractor.cepstra(from: speechLike.map { $0 * scale }, sampleRate: 16_000)
        // Power scales by s², every log-mel band shifts by 2·ln s, and the orthonormal DCT
        // puts a constant shift only into c0, multiplied by √40.
        let expectedShift = 2 * log(scale) * Float(40).squareRoot()
        for t in 0..<a.frameCount {
            let (fa, fb) = (Array(a.frame(t)), Array(b.frame(t)))
            #expect(abs((fb[0] - fa[0]) - expectedShift) < 1e-3)
            for k in 1..<13 { #expect(abs(fb[k] - fa[k]) < 1e-3, "frame \(t) c\(k)") }
        }
        // Pooled: only the c0 mean moves; deltas and deviations are unchanged.
        let pa = try extractor.features(from: speechLike, sampleRate: 16_000)
        let pb = try extractor.features(from: speechLike.map { $0 * scale }, sampleRate: 16_000)
        #expect(abs((pb[0] - pa[0]) - expectedShift) < 1e-3)
        for i in 1..<78 { #expect(abs(pb[i] - pa[i]) < 2e-3, "dimension \(i)") }
    }

    @Test func frameFeaturesAreCepstraThenDeltasThenDeltaDeltas() throws {
        let extractor = try MFCCExtractor()
        let frames = try extractor.frameFeatures(from: speechLike, sampleRate: 16_000)
        let cepstra = try extractor.cepstra(from: speechLike, sampleRate: 16_000)
        let deltas = try Deltas.of(cepstra)
        let deltaDeltas = try Deltas.of(deltas)
        let expected = try cepstra.appendingColumns(of: deltas).appendingColumns(of: deltaDeltas)
        #expect(frames == expected)
        #expect(try extractor.features(from: speechLike, sampleRate: 16_000) == Pooling.meanAndStandardDeviation.pool(expected))
    }

    @Test func otherRatesAreResampledFirst() throws {
        let extractor = try MFCCExtractor(configuration: .baseline)
        let at16 = try extractor.features(from: Signals.sine(frequency: 500, sampleRate: 16_000, seconds: 1), sampleRate: 16_000)
        let at44 = try extractor.features(from: Signals.sine(frequency: 500, sampleRate: 44_100, seconds: 1), sampleRate: 44_100)
        #expect(try Similarity.cosine(at16, at44) > 0.999)
        let at48 = try extractor.features(from: Signals.sine(frequency: 2000, sampleRate: 48_000, seconds: 1), sampleRate: 48_000)
        #expect(try Similarity.cosine(at16, at48) < 0.99)
    }

    @Test func featuresFromAWAVFileEqualThoseFromItsSamples() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("speech.wav")
        try WAVWriter(sample: .float32).bytes(mono: speechLike).write(to: url)
        let extractor = try MFCCExtractor()
        #expect(try extractor.features(contentsOf: url) == extractor.features(from: speechLike, sampleRate: 16_000))
    }

    @Test func silenceThrowsSilent() throws {
        let extractor = try MFCCExtractor()
        #expect(throws: AudioError.silent) { try extractor.features(from: [Float](repeating: 0, count: 16_000), sampleRate: 16_000) }
        // −90 dBFS noise is below the −80 dBFS threshold.
        #expect(throws: AudioError.silent) { try extractor.features(from: Signals.noise(count: 16_000, amplitude: 3e-5 * 3.0.squareRoot().asFloat), sampleRate: 16_000) }
    }

    @Test func clipShorterThanOneWindowThrowsTooShort() throws {
        let extractor = try MFCCExtractor()
        #expect(throws: AudioError.tooShort(seconds: 399.0 / 16_000)) { try extractor.features(from: Signals.noise(count: 399), sampleRate: 16_000) }
        #expect(throws: AudioError.tooShort(seconds: 1000.0 / 48_000)) { try extractor.features(from: Signals.noise(count: 1000), sampleRate: 48_000) }
        #expect(try extractor.features(from: Signals.noise(count: 400), sampleRate: 16_000).count == 78)
        // Length is checked before level: a short silent clip is too short, not silent.
        #expect(throws: AudioError.tooShort(seconds: 100.0 / 16_000)) { try extractor.features(from: [Float](repeating: 0, count: 100), sampleRate: 16_000) }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteSamplesThrow(_ bad: Float) throws {
        var samples = speechLike
        samples[1234] = bad
        #expect(throws: AudioError.nonFinite(index: 1234)) { try MFCCExtractor().features(from: samples, sampleRate: 16_000) }
    }

    @Test func emptyInputAndBadRatesThrow() throws {
        let extractor = try MFCCExtractor()
        #expect(throws: AudioError.noSamples) { try extractor.features(from: [], sampleRate: 16_000) }
        #expect(throws: AudioError.invalidSampleRate(0)) { try extractor.features(from: speechLike, sampleRate: 0) }
        // a header claiming 1 Hz would make these samples hours of audio to resample
        for rate in [1, 999, 1_000_001, Int(UInt32.max)] {
            #expect(throws: AudioError.invalidSampleRate(rate)) { try extractor.features(from: speechLike, sampleRate: rate) }
        }
        // odd rates at both ends of the range are read (through the interpolated kernel)
        for rate in [8_000, 7_919, 192_001] {
            let clip = (0..<rate).map { Float(sin(Double($0) * 2 * .pi * 300 / Double(rate)) * 0.3) }
            #expect(try extractor.features(from: clip, sampleRate: rate).count == extractor.dimension)
        }
    }

    @Test func invalidConfigurationsThrow() {
        var c = MFCCConfiguration()
        c.coefficientCount = 50
        #expect(throws: AudioError.invalidConfiguration("DCT needs 1 ≤ coefficients (50) ≤ inputs (40)")) { try MFCCExtractor(configuration: c) }
        c = MFCCConfiguration()
        c.fftSize = 256
        #expect(throws: AudioError.invalidConfiguration("FFT size 256 is shorter than the 400-sample window")) { try MFCCExtractor(configuration: c) }
        c = MFCCConfiguration()
        c.maximumFrequency = 12_000
        #expect(throws: AudioError.invalidConfiguration("mel range 20.0–12000.0 Hz must lie within 0–8000.0 Hz")) { try MFCCExtractor(configuration: c) }
        c = MFCCConfiguration()
        c.sampleRate = 0
        #expect(throws: AudioError.invalidSampleRate(0)) { try MFCCExtractor(configuration: c) }
        for duration in [Double.nan, 1e300, 0] {
            c = MFCCConfiguration()
            c.windowDuration = duration
            #expect(throws: AudioError.self) { try MFCCExtractor(configuration: c) }
        }
        c = MFCCConfiguration()
        c.preEmphasis = 1.5
        #expect(throws: AudioError.invalidConfiguration("pre-emphasis 1.5 is outside 0…1")) { try MFCCExtractor(configuration: c) }
    }

    @Test func worksThroughTheProtocol() throws {
        let extractor: any FeatureExtractor = try MFCCExtractor()
        let clip = AudioClip(samples: speechLike, sampleRate: 16_000)
        #expect(try extractor.features(from: clip).count == extractor.dimension)
    }
}

private extension Double {
    var asFloat: Float { Float(self) }
}
