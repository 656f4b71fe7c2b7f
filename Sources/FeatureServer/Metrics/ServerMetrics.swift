import FeatureMemory
import Foundation
import Prometheus
import Synchronization

/// The server's metrics: one Prometheus registry (swift-prometheus) holding the server's own
/// series, each collection's, and what the stores report through swift-metrics; `/metrics` is its
/// exposition. Series that are read rather than counted (sizes, memory, readiness) are set when
/// it is scraped.
final class ServerMetrics: Sendable {
    /// Where every series lives.
    let registry = PrometheusCollectorRegistry()
    /// The counters the server's handlers bump (connections, refusals, timeouts).
    let counters: ServerCounters
    /// Request durations for the dashboard's percentiles.
    let latency = LatencyBuckets()
    /// Requests answered and those answered 5xx, for the dashboard's rates.
    let answered = ServerCounters.Counter(), failed = ServerCounters.Counter()

    private struct RouteKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private let requestCounters = Mutex<[RouteKey: Counter]>([:])
    private let requestDurations = Mutex<[String: DurationHistogram]>([:])
    private let inFlight, connections, ready, diskFree, diskTotal: Gauge
    private let resident, anonymous, virtual, openFiles, maximumFiles, startTime: Gauge
    private let cpuSeconds: Counter
    private let requestBytes, responseBytes: Counter
    private let refused, headerTimeouts, overloaded: MirroredCounter
    private let lastCPUSeconds = Mutex(0.0)

    /// Metrics over `counters`.
    init(counters: ServerCounters, version: String) {
        self.counters = counters
        let registry = self.registry
        inFlight = registry.makeGauge(name: "featurememory_http_requests_in_flight", help: "Requests being handled.")
        connections = registry.makeGauge(name: "featurememory_http_connections", help: "Open client connections.")
        ready = registry.makeGauge(name: "featurememory_ready", help: "1 when every collection is open and warm (/readyz answers 200).")
        diskFree = registry.makeGauge(name: "featurememory_disk_free_bytes", help: "Free bytes on the file system of the served directory.")
        diskTotal = registry.makeGauge(name: "featurememory_disk_total_bytes", help: "Size of the file system of the served directory.")
        resident = registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.")
        anonymous = registry.makeGauge(
            name: "featurememory_process_anonymous_memory_bytes",
            help: "Resident anonymous memory (heap, stacks; not the stores' mapped pages) in bytes: what a leak grows.")
        virtual = registry.makeGauge(name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes.")
        openFiles = registry.makeGauge(name: "process_open_fds", help: "Number of open file descriptors.")
        maximumFiles = registry.makeGauge(name: "process_max_fds", help: "Maximum number of open file descriptors.")
        startTime = registry.makeGauge(name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.")
        cpuSeconds = registry.makeCounter(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.")
        requestBytes = registry.makeCounter(name: "featurememory_http_request_bytes_total", help: "Request body bytes received (by Content-Length).")
        responseBytes = registry.makeCounter(name: "featurememory_http_response_bytes_total", help: "Response body bytes sent.")
        refused = MirroredCounter(registry.makeCounter(
            name: "featurememory_http_connections_refused_total", help: "Connections closed at once past --max-connections."))
        headerTimeouts = MirroredCounter(registry.makeCounter(
            name: "featurememory_http_header_timeouts_total", help: "Connections closed because their request headers were too slow."))
        overloaded = MirroredCounter(registry.makeCounter(
            name: "featurememory_http_overloaded_total", help: "Requests refused with 503 because too many were in flight."))
        registry.makeGauge(name: "featurememory_build_info", labels: [("version", version)], help: "1, labelled with the version.").set(to: 1.0)
    }

    /// The series of collection `name` (made once per opening of the collection).
    func collection(_ name: String) -> CollectionMetrics { CollectionMetrics(registry: registry, collection: name) }

    /// Counts one answered request.
    func answered(route: String, method: String, status: Int, duration: Duration, requestBytes received: Int, responseBytes sent: Int) {
        let key = RouteKey(route: route, method: method, status: status)
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "featurememory_http_requests_total",
                labels: [("route", route), ("method", method), ("status", String(status))],
                help: "HTTP requests answered, by route pattern, method and status.")
            counters[key] = counter
            return counter
        }
        counter.increment()
        let histogram = requestDurations.withLock { histograms in
            if let histogram = histograms[route] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "featurememory_http_request_duration_seconds", labels: [("route", route)],
                buckets: MetricBuckets.requestSeconds, help: "Time to answer HTTP requests, by route pattern.")
            histograms[route] = histogram
            return histogram
        }
        histogram.record(duration)
        latency.record(seconds: duration.seconds)
        answered.add()
        if status >= 500 { failed.add() }
        if received > 0 { requestBytes.increment(by: Int64(received)) }
        if sent > 0 { responseBytes.increment(by: Int64(sent)) }
    }

    /// The Prometheus text exposition, after the read series were set from `collections`.
    func exposition(collections: [Collection], isReady: Bool, directory: URL) -> [UInt8] {
        inFlight.set(to: Double(counters.inFlight.load(ordering: .relaxed)))
        connections.set(to: Double(counters.connections.load(ordering: .relaxed)))
        ready.set(to: isReady ? 1 : 0)
        refused.update(counters.connectionsRefused.current)
        headerTimeouts.update(counters.headerTimeouts.current)
        overloaded.update(counters.overloaded.current)
        let disk = ProcessFacts.disk(at: directory.path)
        if let disk {
            diskFree.set(to: Double(disk.free))
            diskTotal.set(to: Double(disk.total))
        }
        let process = ProcessFacts.current()
        if let memory = process.memory {
            resident.set(to: Double(memory.resident))
            anonymous.set(to: Double(memory.anonymous))
            virtual.set(to: Double(memory.virtual))
        }
        if let value = process.openFiles { openFiles.set(to: Double(value)) }
        if let value = process.maximumFiles { maximumFiles.set(to: Double(value)) }
        if let value = process.startTime { startTime.set(to: value) }
        if let value = process.cpuSeconds {
            let delta = lastCPUSeconds.withLock { last in
                defer { last = max(last, value) }
                return value - last
            }
            if delta > 0 { cpuSeconds.increment(by: delta) }
        }
        for collection in collections {
            collection.metrics?.update(from: collection.store, canary: collection.canary.estimate, diskBytes: disk?.total)
        }
        return registry.emitToBuffer()
    }
}
