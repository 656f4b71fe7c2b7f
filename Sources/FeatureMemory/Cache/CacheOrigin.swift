/// Where an entry of the node cache came from. A prefetched entry counts toward its prefetcher's
/// accuracy the first time a search uses it.
enum CacheOrigin: UInt8, CaseIterable, Sendable {
    case demand = 0, graph = 1, warmStart = 2, predictive = 3

    /// The prefetchers, in the order of their counters.
    static let prefetchers: [CacheOrigin] = [.graph, .warmStart, .predictive]

    /// The name statistics and metrics use.
    var name: String {
        switch self {
        case .demand: "demand"
        case .graph: "graph"
        case .warmStart: "warm_start"
        case .predictive: "predictive"
        }
    }
}
