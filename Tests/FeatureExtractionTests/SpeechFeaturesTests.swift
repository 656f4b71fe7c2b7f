@testable import FeatureExtraction
import Testing

/// The speech extractor's parts: silence trimming, pooling by quarters, per-clip normalization.
struct SpeechFeaturesTests {
    @Test func silenceAroundAWordIsTrimmed() throws {
        let tone = Signals.sine(frequency: 440, sampleRate: 16_000, seconds: 0.4)
        let quiet = Signals.noise(count: 8_000, amplitude: 1e-4)
        var trimming = MFCCConfiguration.default
        trimming.trimmedSilenceDecibels = 35
        let trimmed = try MFCCExtractor(configuration: trimming), plain = try MFCCExtractor(configuration: .default)
        let padded = quiet + tone + quiet
        let all = try plain.cepstra(from: padded, sampleRate: 16_000).frameCount
        let kept = try trimmed.cepstra(from: padded, sampleRate: 16_000).frameCount
        let word = try plain.cepstra(from: tone, sampleRate: 16_000).frameCount
        #expect(all > word + 90)
        // the tone's frames and the two frames that overlap its edges
        #expect(abs(kept - word) <= 4, "kept \(kept) of \(all); the tone alone has \(word)")
        // the same word with more or less silence around it pools to nearly the same vector
        let shorter = Array(quiet.prefix(1_600)) + tone + Array(quiet.prefix(3_000))
        let a = try trimmed.features(from: padded, sampleRate: 16_000), b = try trimmed.features(from: shorter, sampleRate: 16_000)
        let c = try plain.features(from: padded, sampleRate: 16_000), d = try plain.features(from: shorter, sampleRate: 16_000)
        #expect(try Similarity.cosine(a, b) > Similarity.cosine(c, d))
        #expect(try Similarity.cosine(a, b) > 0.99)
        // a clip that is all one level keeps every frame
        let steady = try trimmed.cepstra(from: tone, sampleRate: 16_000).frameCount
        #expect(steady >= word - 2)
        var bad = MFCCConfiguration.default
        bad.trimmedSilenceDecibels = -1
        #expect(throws: AudioError.self) { try MFCCExtractor(configuration: bad) }
    }

    @Test func segmentMeansKeepTheOrderOfTheFrames() throws {
        // 8 frames of 1 value: 0 1 2 3 4 5 6 7
        let rising = try FeatureMatrix(frameCount: 8, dimension: 1, values: (0..<8).map(Float.init))
        let falling = try FeatureMatrix(frameCount: 8, dimension: 1, values: (0..<8).reversed().map(Float.init))
        let pooling = Pooling.segments(4)
        #expect(pooling.outputDimension(forFrameDimension: 1) == 5)
        let up = try pooling.pool(rising), down = try pooling.pool(falling)
        #expect(up.prefix(4) == [0.5, 2.5, 4.5, 6.5])
        #expect(down.prefix(4) == [6.5, 4.5, 2.5, 0.5])
        #expect(abs(up[4] - down[4]) < 1e-6)
        // mean and deviation alone cannot tell them apart
        #expect(try Pooling.meanAndStandardDeviation.pool(rising) == Pooling.meanAndStandardDeviation.pool(falling))
        // fewer frames than stretches: each empty stretch takes the frame where it starts
        let two = try FeatureMatrix(frameCount: 2, dimension: 1, values: [3, 9])
        #expect(try pooling.pool(two).prefix(4) == [3, 3, 9, 9])
        #expect(throws: AudioError.self) { try Pooling(statistics: [.segmentMean(index: 4, count: 4)]).validate() }
        #expect(throws: AudioError.self) { try Pooling(statistics: [.segmentMean(index: 0, count: 0)]).validate() }
        #expect(MFCCConfiguration.speech.dimension == 195)
    }

    @Test func perClipNormalizationRemovesAFixedChannel() throws {
        let frames = try FeatureMatrix(frameCount: 4, dimension: 2, values: [1, 10, 2, 10, 3, 10, 4, 10])
        let shifted = try FeatureMatrix(frameCount: 4, dimension: 2, values: frames.values.map { $0 + 5 })
        for mode in [UtteranceNormalization.mean, .meanAndVariance] {
            let a = mode.apply(to: frames), b = mode.apply(to: shifted)
            for (x, y) in zip(a.values, b.values) { #expect(abs(x - y) < 1e-5) }
            let column0 = (0..<4).map { a.values[$0 * 2] }
            #expect(abs(column0.reduce(0, +)) < 1e-5)
            // a column that does not vary becomes zeros, not NaN
            #expect((0..<4).allSatisfy { a.values[$0 * 2 + 1] == 0 })
        }
        let scaled = UtteranceNormalization.meanAndVariance.apply(to: frames)
        let squares = (0..<4).map { scaled.values[$0 * 2] * scaled.values[$0 * 2] }.reduce(0, +) / 4
        #expect(abs(squares - 1) < 1e-5)
        #expect(UtteranceNormalization.none.apply(to: frames) == frames)
    }
}
