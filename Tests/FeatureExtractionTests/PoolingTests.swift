import Testing
@testable import FeatureExtraction

struct PoolingTests {
    /// Two columns over five frames: 1…5 and 10, 0, 10, 0, 10.
    let matrix: FeatureMatrix

    init() throws { matrix = try FeatureMatrix(frameCount: 5, dimension: 2, values: [1, 10, 2, 0, 3, 10, 4, 0, 5, 10]) }

    @Test func meanAndStandardDeviationAreStatisticMajor() throws {
        let pooled = try Pooling.meanAndStandardDeviation.pool(matrix)
        #expect(pooled.count == 4)
        #expect(pooled[0] == 3 && pooled[1] == 6)
        #expect(abs(pooled[2] - Float(2).squareRoot()) < 1e-6)       // population std of 1…5
        #expect(abs(pooled[3] - Float(24).squareRoot()) < 1e-5)      // values 10,0,10,0,10 around 6
    }

    @Test func minimumMaximumAndPercentilesInterpolateLikeNumPy() throws {
        let pooling = Pooling(statistics: [.minimum, .maximum, .percentile(50), .percentile(90), .percentile(0), .percentile(100)])
        let pooled = try pooling.pool(matrix)
        #expect(pooled == [1, 0, 5, 10, 3, 10, 4.6, 10, 1, 0, 5, 10])
    }

    @Test func outputDimensionIsKnownFromTheConfiguration() throws {
        #expect(MFCCConfiguration.default.dimension == 78)
        #expect(MFCCConfiguration.baseline.dimension == 26)
        var c = MFCCConfiguration.default
        c.pooling = Pooling(statistics: [.mean, .standardDeviation, .minimum, .maximum, .percentile(10), .percentile(90)])
        #expect(c.dimension == 13 * 3 * 6)
        let extractor = try MFCCExtractor(configuration: c)
        let features = try extractor.features(from: Signals.noise(count: 8000), sampleRate: 16_000)
        #expect(features.count == extractor.dimension)
    }

    @Test func invalidPoolingsThrow() {
        #expect(throws: AudioError.invalidConfiguration("pooling needs at least one statistic")) { try Pooling(statistics: []).pool(matrix) }
        #expect(throws: AudioError.invalidConfiguration("percentile 101.0 is outside 0…100")) { try Pooling(statistics: [.percentile(101)]).pool(matrix) }
        #expect(throws: AudioError.noFrames) { try Pooling.mean.pool(FeatureMatrix(frameCount: 0, dimension: 3, values: [])) }
    }
}
