import CoreMetrics
import Prometheus
import Synchronization

/// The swift-metrics factory a collection's store reports through: Prometheus handlers in the
/// server's registry, the store's `store` (directory) label replaced by `collection`, with
/// buckets fit for searches; it remembers what it made, so a deleted collection's series go too.
final class CollectionMetricsFactory: MetricsFactory, Sendable {
    private let prometheus: PrometheusMetricsFactory
    private let made = Mutex<[any Sendable]>([])

    /// A factory labelling everything `collection="name"` in `registry`.
    init(registry: PrometheusCollectorRegistry, collection name: String) {
        var prometheus = PrometheusMetricsFactory(registry: registry)
        prometheus.nameAndLabelSanitizer = { label, dimensions in
            (label, dimensions.map { $0.0 == "store" ? ("collection", name) : $0 })
        }
        prometheus.durationHistogramBuckets = ["featurememory_search_duration_seconds": MetricBuckets.searchSeconds]
        prometheus.valueHistogramBuckets = ["featurememory_search_visited_nodes": MetricBuckets.visitedNodes]
        self.prometheus = prometheus
    }

    private func keep<H: Sendable>(_ handler: H) -> H {
        made.withLock { $0.append(handler) }
        return handler
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        keep(prometheus.makeCounter(label: label, dimensions: dimensions))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        keep(prometheus.makeFloatingPointCounter(label: label, dimensions: dimensions))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        keep(prometheus.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        keep(prometheus.makeMeter(label: label, dimensions: dimensions))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        keep(prometheus.makeTimer(label: label, dimensions: dimensions))
    }

    func destroyCounter(_ handler: any CounterHandler) { prometheus.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { prometheus.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { prometheus.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { prometheus.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { prometheus.destroyTimer(handler) }

    /// Removes every series this factory made from the registry.
    func unregisterAll() {
        let handlers = made.withLock { made in
            defer { made.removeAll() }
            return made
        }
        for handler in handlers {
            switch handler {
            case let timer as any TimerHandler: prometheus.destroyTimer(timer)
            case let recorder as any RecorderHandler: prometheus.destroyRecorder(recorder)
            case let counter as any CounterHandler: prometheus.destroyCounter(counter)
            case let meter as any MeterHandler: prometheus.destroyMeter(meter)
            default: break
            }
        }
    }
}
