extension FeatureStore {
    /// The node cache's statistics; nil when the store was opened without a cache.
    public var cacheStatistics: CacheStatistics? {
        guard let nodeCache else { return nil }
        let raw = nodeCache.statistics
        return CacheStatistics(
            budgetBytes: raw.budgetBytes, targetBytes: raw.targetBytes, bytesInUse: raw.bytesInUse, entries: raw.entries,
            lookups: raw.lookups, hits: raw.hits, demandFills: raw.fills, evictions: raw.evictions,
            prefetchers: CacheOrigin.prefetchers.enumerated().map { index, origin in
                CacheStatistics.Prefetcher(name: origin.name, prefetched: raw.prefetched[index], used: raw.prefetchUsed[index])
            },
            resultCacheHits: resultCache?.counts.hits ?? 0, resultCacheLookups: resultCache?.counts.lookups ?? 0)
    }
}
