/// How one measured request ended.
enum Outcome {
    /// A 2xx `status` whose body parsed; `recall` is this search's recall@k when truth is known.
    case success(status: Int, recall: Double?)
    /// A non-2xx status.
    case status(Int)
    /// The connection failed or closed before the response ended.
    case connectionFailure
    /// No response by `--timeout` after the scheduled time, or by the end of the drain.
    case timeout
    /// A 2xx response whose body is not the JSON the route answers.
    case unparseable
}

/// Everything recorded about the measured requests (warm-up ones are not recorded).
///
/// Latencies are kept one per request and sorted at the end, so percentiles are exact; memory is
/// bounded by the run's request count (`rate × duration`, 8 bytes each).
struct Measurements {
    private(set) var latencies: [Int64] = []
    private var searchLatencies: [Int64] = []
    private var writeLatencies: [Int64] = []
    private(set) var errors = 0
    private var recallSum = 0.0
    private var recallCount = 0
    private var statusCounts: [String: Int] = [:]
    private var searchRequestBytes = 0
    private var searchRequestsSent = 0
    private var successes = 0

    /// Requests recorded so far.
    var requests: Int { latencies.count }

    /// Records a request of the given kind that ended `latency` nanoseconds after its scheduled time.
    mutating func record(_ outcome: Outcome, isSearch: Bool, latency: Int64) {
        latencies.append(latency)
        if isSearch { searchLatencies.append(latency) } else { writeLatencies.append(latency) }
        let key: String
        switch outcome {
        case .success(let status, let recall):
            successes += 1
            key = String(status)
            if let recall { recallSum += recall; recallCount += 1 }
        case .status(let code): key = String(code)
        case .connectionFailure: key = "connection"
        case .timeout: key = "timeout"
        case .unparseable: key = "unparseable"
        }
        if case .success = outcome {} else { errors += 1 }
        statusCounts[key, default: 0] += 1
    }

    /// Counts the bytes (head and body) of one search request as written to its socket.
    mutating func recordSearchRequestSize(_ bytes: Int) {
        searchRequestBytes += bytes
        searchRequestsSent += 1
    }

    /// The run's summary.
    func report(_ settings: Report.Settings, hasTruth: Bool, connectionsOpen: Int, reconnects: Int) -> Report {
        let all = latencies.sorted()
        return Report(
            settings: settings,
            requests: latencies.count,
            errors: errors,
            searches: searchLatencies.count,
            writes: writeLatencies.count,
            p50: Self.percentile(all, 0.50), p95: Self.percentile(all, 0.95), p99: Self.percentile(all, 0.99),
            max: all.last.map(Self.milliseconds),
            searchP99: Self.percentile(searchLatencies.sorted(), 0.99),
            writeP99: Self.percentile(writeLatencies.sorted(), 0.99),
            recall: hasTruth && recallCount > 0 ? recallSum / Double(recallCount) : nil,
            achievedRate: Double(successes) / settings.duration,
            bytesPerSearchRequest: searchRequestsSent > 0 ? Double(searchRequestBytes) / Double(searchRequestsSent) : nil,
            statusCounts: statusCounts,
            connectionsOpen: connectionsOpen,
            reconnects: reconnects)
    }

    /// The nearest-rank percentile (the smallest value with at least `p` of the values at or below it), in ms.
    static func percentile(_ sorted: [Int64], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return milliseconds(sorted[min(max(rank, 1), sorted.count) - 1])
    }

    private static func milliseconds(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / 1e6 }
}

/// recall@k of one search: |returned ∩ first k truth ids| / k.
func recallAtK(returned: [UInt64], truth: [Int32], k: Int) -> Double {
    let expected = truth.prefix(k)
    var hits = 0
    // k is small (10 by default): a linear scan beats building a set per response
    for id in returned.prefix(k) where expected.contains(where: { $0 >= 0 && UInt64($0) == id }) { hits += 1 }
    return Double(hits) / Double(k)
}
