import Foundation

/// What an upsert or a delete of a clustered collection answers: points taken, and per shard
/// the stream sequence JetStream acknowledged (pass them as a search's `min_seq` to read them).
struct ClusterWritten: Encodable {
    var upserted: Int?
    var deleted: Int?
    var sequences: [String: UInt64]
}

/// A search of a clustered collection: the merged top k, and whether shards are missing from it.
struct ClusterSearchOutput: Encodable {
    var ids: [UInt64]
    var distances: [Float]
    var labels: [String?]
    var partial: Bool
    var missingShards: [Int]

    private enum CodingKeys: String, CodingKey { case ids, distances, labels, partial, missingShards = "missing_shards" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ids, forKey: .ids)
        try container.encode(distances, forKey: .distances)
        // absent labels are null, as in a single node's answer
        var labelList = container.nestedUnkeyedContainer(forKey: .labels)
        for label in labels { if let label { try labelList.encode(label) } else { try labelList.encodeNil() } }
        try container.encode(partial, forKey: .partial)
        try container.encode(missingShards, forKey: .missingShards)
    }
}

/// One shard replica's answer to a search, node to node.
struct ShardSearchOutput: Codable {
    var ids: [UInt64]
    var distances: [Float]
    var labels: [String?]
    var applied: UInt64

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ids, forKey: .ids)
        try container.encode(distances, forKey: .distances)
        var labelList = container.nestedUnkeyedContainer(forKey: .labels)
        for label in labels { if let label { try labelList.encode(label) } else { try labelList.encodeNil() } }
        try container.encode(applied, forKey: .applied)
    }
}

/// `GET /v1/cluster/shards/{collection}/{shard}`: a replica's progress.
struct ShardInfo: Encodable {
    var collection: String
    var shard: Int
    var node: String
    var applied: UInt64
    var count: Int
    var ready: Bool
}

/// `GET /v1/cluster/shards/{collection}/{shard}/ids`: every id in a replica, sorted, with the
/// sequence the snapshot read had applied.
struct ShardIDs: Encodable {
    var applied: UInt64
    var ids: [UInt64]
}
