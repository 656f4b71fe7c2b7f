@testable import FeatureServer
import Testing

/// Percentiles from bucket counts: within a bucket's width of the true value.
@Suite struct LatencyBucketsTests {
    @Test func quantilesOfAnIntervalAreWithinOneBucketOfTheTrueOnes() {
        let buckets = LatencyBuckets()
        for value in [0.0001, 0.0002, 0.0005, 0.0010] { buckets.record(seconds: value) }
        let before = buckets.snapshot
        // 1,000 values from 1 ms to 100 ms
        let values = (1...1_000).map { Double($0) * 1e-4 }
        for value in values { buckets.record(seconds: value) }
        let after = buckets.snapshot
        for q in [0.5, 0.9, 0.99] {
            let truth = values[Int(q * Double(values.count)) - 1]
            let estimate = try! #require(LatencyBuckets.quantile(q, from: before, to: after))
            #expect(abs(estimate - truth) / truth < 0.2, "q\(q): \(estimate) for \(truth)")
        }
        #expect(LatencyBuckets.quantile(0.5, from: after, to: after) == nil)
    }

    @Test func everyValueLandsInTheFirstBucketAtOrAboveIt() {
        for value in [0.0, 1e-9, 2e-5, 2.0001e-5, 0.001, 0.5, 59.9, 1e6] {
            let index = LatencyBuckets.bucket(of: value)
            #expect(LatencyBuckets.bounds[index] >= value)
            if index > 0 { #expect(LatencyBuckets.bounds[index - 1] < value) }
        }
    }
}
