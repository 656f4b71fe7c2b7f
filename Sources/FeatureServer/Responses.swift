/// `GET /v1/collections/{name}`: a collection's settings, size and cache.
struct CollectionInfo: Encodable, Sendable {
    /// Node cache figures of the collection's store.
    struct Cache: Encodable, Sendable {
        var hits: Int
        var misses: Int
        var hitRate: Double
        var nodes: Int
        var bytes: Int
        /// Of the entries each prefetcher filled, the share searches used (prefetchers that filled some).
        var prefetchAccuracy: [String: Double]
        private enum CodingKeys: String, CodingKey { case hits, misses, hitRate = "hit_rate", nodes, bytes, prefetchAccuracy = "prefetch_accuracy" }
    }
    /// The recall canary's figures.
    struct Recall: Encodable, Sendable {
        /// Mean recall@k of the queries checked; null before the first check.
        var estimate: Double?
        var sampleSize: Int
        private enum CodingKeys: String, CodingKey { case estimate, sampleSize = "sample_size" }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(estimate, forKey: .estimate)
            try container.encode(sampleSize, forKey: .sampleSize)
        }
    }
    var name: String
    var count: Int
    var dimension: Int
    var metric: String
    var m: Int
    var efConstruction: Int
    var encoding: String
    var bytes: Int
    var cache: Cache
    var recall: Recall
    private enum CodingKeys: String, CodingKey { case name, count, dimension, metric, m, efConstruction = "ef_construction", encoding, bytes, cache, recall }
}

/// `GET /v1/collections`.
struct CollectionList: Encodable { var collections: [CollectionInfo] }

/// `DELETE /v1/collections/{name}`.
struct CollectionDeleted: Encodable { var deleted: String }

/// `POST .../points`.
struct Upserted: Encodable { var upserted: Int }

/// `DELETE .../points/{id}` and `POST .../points/delete`.
struct Deleted: Encodable { var deleted: Int }

/// `GET .../points/{id}`.
struct PointOutput: Encodable {
    var id: UInt64
    var vector: [Float]
    var label: String?
    private enum CodingKeys: String, CodingKey { case id, vector, label }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(vector, forKey: .vector)
        try container.encode(label, forKey: .label)  // null, not absent
    }
}

/// One search's answer, nearest first.
struct SearchOutput: Encodable, Sendable {
    var ids: [UInt64]
    var distances: [Float]
    var labels: [String?]
    private enum CodingKeys: String, CodingKey { case ids, distances, labels }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ids, forKey: .ids)
        try container.encode(distances, forKey: .distances)
        var labelList = container.nestedUnkeyedContainer(forKey: .labels)
        for label in labels { if let label { try labelList.encode(label) } else { try labelList.encodeNil() } }
    }
}

/// `POST .../search/batch`.
struct BatchSearchOutput: Encodable { var results: [SearchOutput] }

/// `POST .../learn`.
struct LearnOutput: Encodable {
    var label: String
    var learned: Int
    var created: Int
    var merged: Int
}

/// `POST .../recognize`.
struct RecognizeOutput: Encodable {
    var label: String?
    var confidence: Float
    private enum CodingKeys: String, CodingKey { case label, confidence }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(label, forKey: .label)
        try container.encode(confidence, forKey: .confidence)
    }
}

/// `/healthz` and `/readyz`.
struct Status: Encodable { var status: String }
