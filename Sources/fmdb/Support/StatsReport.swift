import FeatureMemory

/// What `fmdb stats --json` prints: the store's statistics and, under `derived`, the figures
/// computed from them (ratios an operator reads, not only raw counters).
struct StatsReport: Encodable {
    /// The figures derived from the counters.
    struct Derived: Encodable {
        /// Cache hits per lookup in the last opening that saved its statistics; nil when none did.
        var cacheHitRatio: Double?
        /// Of the entries each prefetcher filled then, the share searches used.
        var prefetchAccuracy: [String: Double]
        /// Recall of the graph, estimated from a sample of the store's own vectors.
        var recallEstimate: RecallSample
        /// Stored bytes per vector (the file over the live vectors); nil for an empty store.
        var bytesPerVector: Double?
        /// Per table, the bytes of its pages over the live vectors, and "free" for the pages
        /// free for reuse; empty for an empty store.
        var bytesPerVectorByTable: [String: Double]

        private enum CodingKeys: String, CodingKey { case cacheHitRatio, prefetchAccuracy, recallEstimate, bytesPerVector, bytesPerVectorByTable }

        // null, not missing, for what has no value
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(cacheHitRatio, forKey: .cacheHitRatio)
            try container.encode(prefetchAccuracy, forKey: .prefetchAccuracy)
            try container.encode(recallEstimate, forKey: .recallEstimate)
            try container.encode(bytesPerVector, forKey: .bytesPerVector)
            try container.encode(bytesPerVectorByTable, forKey: .bytesPerVectorByTable)
        }
    }

    var statistics: StoreStatistics
    var derived: Derived

    private enum CodingKeys: String, CodingKey { case derived }

    /// The statistics' own fields, then `derived` beside them.
    func encode(to encoder: any Encoder) throws {
        try statistics.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(derived, forKey: .derived)
    }

    /// The report of `statistics`, with `recall` measured by the caller.
    init(_ statistics: StoreStatistics, recall: RecallSample) {
        self.statistics = statistics
        let saved = statistics.savedCacheStatistics
        derived = Derived(
            cacheHitRatio: saved?.hitRate, prefetchAccuracy: saved?.prefetchAccuracyByName ?? [:], recallEstimate: recall,
            bytesPerVector: statistics.count > 0 ? Double(statistics.fileBytes) / Double(statistics.count) : nil,
            bytesPerVectorByTable: Self.bytesPerVector(byTable: statistics))
    }

    /// Each table's bytes, and the free pages', over the live vectors.
    static func bytesPerVector(byTable s: StoreStatistics) -> [String: Double] {
        guard s.count > 0 else { return [:] }
        var shares: [String: Double] = [:]
        for table in s.tables { shares[table.name] = Double(table.bytes) / Double(s.count) }
        shares["free"] = Double(s.freePages * s.pageSize) / Double(s.count)
        return shares
    }
}
