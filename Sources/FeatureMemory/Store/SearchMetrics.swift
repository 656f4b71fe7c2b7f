import CoreMetrics

/// Exports each graph search's duration and the nodes it visited through swift-metrics,
/// labelled with the store's directory, as timers and recorders of the store's metrics factory
/// (no-ops unless the process bootstrapped a metrics backend or `StoreOptions.metricsFactory`
/// names one).
final class SearchMetrics: Sendable {
    private let duration: Timer
    private let visited: Recorder

    init(directory: String, factory: MetricsFactory) {
        let dimensions = [("store", directory)]
        duration = Timer(label: "featurememory_search_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory)
        visited = Recorder(label: "featurememory_search_visited_nodes", dimensions: dimensions, aggregate: true, factory: factory)
    }

    /// Records one search that took `nanoseconds` and computed `visitedNodes` distances.
    @inline(__always)
    func record(nanoseconds: UInt64, visitedNodes: Int) {
        duration.recordNanoseconds(Int64(clamping: nanoseconds))
        visited.record(visitedNodes)
    }
}
