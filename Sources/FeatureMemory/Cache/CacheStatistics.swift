import Foundation

/// How the node cache has done since the store was opened.
public struct CacheStatistics: Sendable, Codable, Equatable {
    /// One prefetcher's record.
    public struct Prefetcher: Sendable, Codable, Equatable {
        /// "graph", "warm_start" or "predictive".
        public var name: String
        /// Entries it filled.
        public var prefetched: Int
        /// Of those, entries a search used afterwards.
        public var used: Int
        /// `used ÷ prefetched`; nil before it prefetched anything.
        public var accuracy: Double? { prefetched > 0 ? Double(used) / Double(prefetched) : nil }

        /// "graph 120/200 (0.600)": name, used of prefetched, accuracy.
        public var summary: String {
            "\(name) \(used)/\(prefetched)" + (accuracy.map { String(format: " (%.3f)", $0) } ?? "")
        }
    }

    /// The budget the cache never exceeds.
    public var budgetBytes: Int
    /// The size the cache may use now (adaptive, at most the budget).
    public var targetBytes: Int
    /// Bytes of slots in use.
    public var bytesInUse: Int
    /// Nodes held.
    public var entries: Int
    /// Layer-0 link and vector lookups of searches.
    public var lookups: Int
    /// Lookups answered from the cache.
    public var hits: Int
    /// `hits ÷ lookups`; nil before any lookup.
    public var hitRate: Double? { lookups > 0 ? Double(hits) / Double(lookups) : nil }
    /// Entries filled on a miss.
    public var demandFills: Int
    /// Entries evicted to make room.
    public var evictions: Int
    /// What each prefetcher filled and how much of it was used.
    public var prefetchers: [Prefetcher]
    /// Searches answered from the search-result cache, and searches that looked there.
    public var resultCacheHits: Int
    /// Searches that looked in the search-result cache.
    public var resultCacheLookups: Int

    /// Entries prefetched by all prefetchers that searches used, over entries they prefetched.
    public var prefetchAccuracy: Double? {
        let prefetched = prefetchers.reduce(0) { $0 + $1.prefetched }
        return prefetched > 0 ? Double(prefetchers.reduce(0) { $0 + $1.used }) / Double(prefetched) : nil
    }

    /// Each prefetcher's accuracy by name, for those that prefetched something.
    public var prefetchAccuracyByName: [String: Double] {
        prefetchers.reduce(into: [:]) { accuracies, prefetcher in accuracies[prefetcher.name] = prefetcher.accuracy }
    }
}

/// Raw counters behind `CacheStatistics`.
struct NodeCacheStatistics {
    var budgetBytes, targetBytes, bytesInUse, entries, lookups, hits, fills, evictions: Int
    /// Entries filled by each prefetcher (graph, warm start, predictive).
    var prefetched: [Int]
    /// Of those, entries a search used afterwards.
    var prefetchUsed: [Int]
}
