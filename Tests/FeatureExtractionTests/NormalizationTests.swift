import Foundation
import Testing
@testable import FeatureExtraction

struct NormalizationTests {
    @Test func l2NormalizedHasUnitLengthAndSameDirection() throws {
        let v: [Float] = [3, 4, 0, -12]
        let n = Normalization.l2Normalized(v)
        for (x, e) in zip(n, [3, 4, 0, -12].map { Float($0) / 13 }) { #expect(abs(x - e) < 1e-7) }
        #expect(abs(try Similarity.dot(n, n) - 1) < 1e-6)
        #expect(Normalization.l2Normalized([0, 0]) == [0, 0])
    }

    @Test func runningStatisticsMatchABatchComputation() throws {
        let vectors = (0..<500).map { i in Signals.noise(count: 7, amplitude: 5, seed: UInt64(i + 1)).map { $0 + Float(i % 3) } }
        var stats = try RunningStatistics(dimension: 7)
        for v in vectors { try stats.add(v) }
        #expect(stats.count == 500)
        for j in 0..<7 {
            let column = vectors.map { Double($0[j]) }
            let mean = column.reduce(0, +) / 500
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 500
            #expect(abs(stats.mean[j] - mean) < 1e-9)
            #expect(abs(stats.variance[j] - variance) < 1e-9)
        }
        let query = vectors[17]
        let z = try stats.zScored(query)
        for j in 0..<7 {
            let expected = (Double(query[j]) - stats.mean[j]) / stats.variance[j].squareRoot()
            #expect(abs(Double(z[j]) - expected) < 1e-5)
        }
    }

    @Test func mergedStatisticsEqualOnePass() throws {
        let vectors = (0..<300).map { Signals.noise(count: 4, seed: UInt64($0 + 7)) }
        var all = try RunningStatistics(dimension: 4), a = all, b = all
        for (i, v) in vectors.enumerated() {
            try all.add(v)
            if i < 120 { try a.add(v) } else { try b.add(v) }
        }
        try a.merge(b)
        #expect(a.count == all.count)
        for j in 0..<4 {
            #expect(abs(a.mean[j] - all.mean[j]) < 1e-12)
            #expect(abs(a.variance[j] - all.variance[j]) < 1e-12)
        }
        var empty = try RunningStatistics(dimension: 4)
        try empty.merge(all)
        #expect(empty == all)
    }

    @Test func statisticsRoundTripThroughJSONAndRejectInconsistentFields() throws {
        var stats = try RunningStatistics(dimension: 3)
        try stats.add([1, 2, 3])
        try stats.add([3, 2, 1])
        let json = try JSONEncoder().encode(stats)
        #expect(try JSONDecoder().decode(RunningStatistics.self, from: json) == stats)
        let bad = Data(#"{"dimension":3,"count":2,"mean":[1,2],"sumOfSquaredDeviations":[0,0,0]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunningStatistics.self, from: bad) }
    }

    @Test func constantDimensionZScoresToZeroAndBadVectorsAreRejected() throws {
        var stats = try RunningStatistics(dimension: 2)
        try stats.add([1, 5])
        try stats.add([1, 7])
        #expect(try stats.zScored([1, 6]) == [0, 0])
        #expect(throws: AudioError.dimensionMismatch(expected: 2, actual: 3)) { try stats.add([1, 2, 3]) }
        #expect(throws: AudioError.nonFinite(index: 1)) { try stats.add([1, .nan]) }
        #expect(stats.count == 2)
    }
}
