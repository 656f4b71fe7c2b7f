import Foundation

/// The JSON line a run ends with. Keys are snake_case and sorted; absent values are `null`.
struct Report: Encodable {
    /// What the run was asked to do.
    struct Settings {
        var connections: Int
        var rate: Double
        var duration: Double
        var warmup: Double
        var writeFraction: Double
        var k: Int
        var ef: Int?
        var base64: Bool
    }

    let settings: Settings
    let requests: Int
    let errors: Int
    let searches: Int
    let writes: Int
    let p50: Double?
    let p95: Double?
    let p99: Double?
    let max: Double?
    let searchP99: Double?
    let writeP99: Double?
    let recall: Double?
    let achievedRate: Double
    let bytesPerSearchRequest: Double?
    let statusCounts: [String: Int]
    let connectionsOpen: Int
    let reconnects: Int

    private enum Key: String, CodingKey {
        case connections, rate, duration_s, warmup_s, write_fraction, k, ef, b64
        case requests, errors, error_rate, searches, writes
        case p50_ms, p95_ms, p99_ms, max_ms, search_p99_ms, write_p99_ms
        case recall, achieved_rate, bytes_per_search_request, status_counts, connections_open, reconnects
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(settings.connections, forKey: .connections)
        try c.encode(settings.rate, forKey: .rate)
        try c.encode(settings.duration, forKey: .duration_s)
        try c.encode(settings.warmup, forKey: .warmup_s)
        try c.encode(settings.writeFraction, forKey: .write_fraction)
        try c.encode(settings.k, forKey: .k)
        try c.encode(settings.ef, forKey: .ef)  // encode (not encodeIfPresent): null, not absent
        try c.encode(settings.base64, forKey: .b64)
        try c.encode(requests, forKey: .requests)
        try c.encode(errors, forKey: .errors)
        try c.encode(requests > 0 ? Self.rounded(Double(errors) / Double(requests), 6) : 0, forKey: .error_rate)
        try c.encode(searches, forKey: .searches)
        try c.encode(writes, forKey: .writes)
        try c.encode(p50.map { Self.rounded($0, 3) }, forKey: .p50_ms)
        try c.encode(p95.map { Self.rounded($0, 3) }, forKey: .p95_ms)
        try c.encode(p99.map { Self.rounded($0, 3) }, forKey: .p99_ms)
        try c.encode(max.map { Self.rounded($0, 3) }, forKey: .max_ms)
        try c.encode(searchP99.map { Self.rounded($0, 3) }, forKey: .search_p99_ms)
        try c.encode(writeP99.map { Self.rounded($0, 3) }, forKey: .write_p99_ms)
        try c.encode(recall.map { Self.rounded($0, 4) }, forKey: .recall)
        try c.encode(Self.rounded(achievedRate, 1), forKey: .achieved_rate)
        try c.encode(bytesPerSearchRequest.map { Self.rounded($0, 1) }, forKey: .bytes_per_search_request)
        try c.encode(statusCounts, forKey: .status_counts)
        try c.encode(connectionsOpen, forKey: .connections_open)
        try c.encode(reconnects, forKey: .reconnects)
    }

    /// The report as one line of JSON.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func rounded(_ x: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }
}
