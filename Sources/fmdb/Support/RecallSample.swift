import FeatureMemory

/// How well a store's graph finds neighbours, estimated offline from a sample of its own vectors:
/// each sampled vector is a query, its neighbours (itself left out) found through the graph at
/// `ef` and exhaustively, and recall@k averaged — what the server's recall canary measures on
/// live queries.
struct RecallSample: Encodable, Equatable {
    /// Mean recall@k of the sampled queries, 0…1; nil when the store has too few vectors.
    var recall: Double?
    /// Queries sampled.
    var queries: Int
    /// Neighbours compared per query.
    var k: Int
    /// The ef of the graph searches.
    var ef: Int

    private enum CodingKeys: String, CodingKey { case recall, queries, k, ef }

    // null, not missing, when there is no estimate
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(recall, forKey: .recall)
        try container.encode(queries, forKey: .queries)
        try container.encode(k, forKey: .k)
        try container.encode(ef, forKey: .ef)
    }

    /// Samples up to `count` stored vectors spread evenly over the ids.
    static func measure(_ store: FeatureStore, count: Int, k: Int = 10, ef: Int = 64) throws -> RecallSample {
        try store.read { txn in
            let ids = try txn.ids()
            guard count > 0, ids.count > k else { return RecallSample(recall: nil, queries: 0, k: k, ef: ef) }
            let step = max(1, ids.count / count)
            let sampled = stride(from: 0, to: ids.count, by: step).prefix(count).map { ids[$0] }
            let recalls = try sampled.compactMap { id in
                try txn.graphRecall(of: try txn.vector(for: id), count: k, ef: ef, excluding: id)?.recall
            }
            let recall = recalls.isEmpty ? nil : recalls.reduce(0, +) / Double(recalls.count)
            return RecallSample(recall: recall, queries: recalls.count, k: k, ef: ef)
        }
    }
}
