import Synchronization

/// The server's own counters, exposed on /metrics (the monitoring issue adds the engine's).
final class ServerCounters: Sendable {
    /// A monotonically increasing count.
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        /// Adds `amount`.
        func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }
        /// The count now.
        var current: Int { value.load(ordering: .relaxed) }
    }

    /// Requests answered, by status class (index 1…5 for 1xx…5xx).
    let responses = (0..<6).map { _ in Counter() }
    /// Requests refused with 503 because too many were waiting.
    let overloaded = Counter()
    /// Connections closed at once because `--max-connections` were open.
    let connectionsRefused = Counter()
    /// Connections closed because their request headers did not arrive in time.
    let headerTimeouts = Counter()
    /// Points upserted.
    let pointsUpserted = Counter()
    /// Requests being handled now.
    let inFlight = Atomic<Int>(0)
    /// Connections open now.
    let connections = Atomic<Int>(0)

    /// Counts one answered request of `status`.
    func answered(status: Int) {
        responses[min(max(status / 100, 0), 5)].add()
    }

    /// The Prometheus text exposition of these counters and the collections' sizes.
    func exposition(collections: [Collection]) -> String {
        var lines: [String] = []
        lines.append("# HELP fmdb_http_responses_total HTTP responses by status class.")
        lines.append("# TYPE fmdb_http_responses_total counter")
        for index in 1...5 {
            lines.append("fmdb_http_responses_total{class=\"\(index)xx\"} \(responses[index].current)")
        }
        func gauge(_ name: String, _ help: String, _ value: Int, type: String = "gauge") {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(value)")
        }
        gauge("fmdb_http_overloaded_total", "Requests refused with 503 because the queue was full.", overloaded.current, type: "counter")
        gauge("fmdb_connections_refused_total", "Connections closed at once past --max-connections.", connectionsRefused.current, type: "counter")
        gauge("fmdb_header_timeouts_total", "Connections closed because headers were too slow.", headerTimeouts.current, type: "counter")
        gauge("fmdb_points_upserted_total", "Points upserted through the API.", pointsUpserted.current, type: "counter")
        gauge("fmdb_http_requests_in_flight", "Requests being handled.", inFlight.load(ordering: .relaxed))
        gauge("fmdb_connections_open", "Open client connections.", connections.load(ordering: .relaxed))
        lines.append("# HELP fmdb_write_transactions_total Write transactions committed by the API, per collection.")
        lines.append("# TYPE fmdb_write_transactions_total counter")
        for collection in collections {
            lines.append("fmdb_write_transactions_total{collection=\"\(collection.name)\"} \(collection.writer.commits.current)")
        }
        lines.append("# HELP fmdb_write_requests_committed_total Write requests those transactions held, per collection.")
        lines.append("# TYPE fmdb_write_requests_committed_total counter")
        for collection in collections {
            lines.append("fmdb_write_requests_committed_total{collection=\"\(collection.name)\"} \(collection.writer.requestsCommitted.current)")
        }
        lines.append("# HELP fmdb_collection_points Points per collection.")
        lines.append("# TYPE fmdb_collection_points gauge")
        for collection in collections {
            if let count = try? collection.store.count() {
                lines.append("fmdb_collection_points{collection=\"\(collection.name)\"} \(count)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
