/// The histogram buckets of the server's metrics: every series of one name must use the same.
enum MetricBuckets {
    /// HTTP requests: half a millisecond to ten seconds.
    static let requestSeconds: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]
    /// One graph search: 50 µs to a second.
    static let searchSeconds: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .seconds(1),
    ]
    /// Nodes one search computed a distance to.
    static let visitedNodes: [Double] = [16, 32, 64, 128, 256, 512, 1_024, 2_048, 4_096, 8_192, 16_384, 65_536]
    /// A commit, its fsync included: a millisecond to ten seconds.
    static let commitSeconds: [Duration] = [
        .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(10),
    ]
    /// Requests per write transaction.
    static let groupRequests: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024]
    /// Learning and recognition: a millisecond to a minute.
    static let audioSeconds: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(60),
    ]
    /// Recognition confidence, 0…1.
    static let confidence: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0]
}
