import FeatureMemory
import Foundation

/// `PUT /v1/collections/{name}` (or `POST /v1/collections` with `name`) on a clustered node:
/// the collection's settings, its shard count and replicas per shard.
struct ClusterCollectionRequest: Decodable {
    var name: String?
    var settings: CollectionSettings
    var shards: Int
    var replicas: Int

    private enum CodingKeys: String, CodingKey, CaseIterable { case name, dimension, metric, m, efConstruction = "ef_construction", shards, replicas }

    /// Shards and replicas allowed: a shard count fixes the streams, so it has a ceiling; more
    /// replicas than nodes are placed once nodes join.
    static let shardRange = 1...256, replicaRange = 1...9

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.field(String.self, .name, expected: "a string", in: decoder)
        shards = try container.field(Int.self, .shards, expected: "an integer", in: decoder) ?? 1
        replicas = try container.field(Int.self, .replicas, expected: "an integer", in: decoder) ?? 2
        guard Self.shardRange.contains(shards) else {
            throw APIError.invalidField("shards: must be \(Self.shardRange.lowerBound)…\(Self.shardRange.upperBound), got \(shards)")
        }
        guard Self.replicaRange.contains(replicas) else {
            throw APIError.invalidField("replicas: must be \(Self.replicaRange.lowerBound)…\(Self.replicaRange.upperBound), got \(replicas)")
        }
        settings = try CollectionSettings(from: SettingsOnly(decoder: decoder))
    }

    /// The same object read by `CollectionSettings`, which refuses keys it does not know: the
    /// cluster's own keys are hidden from it.
    private struct SettingsOnly: Decoder {
        let decoder: any Decoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        var userInfo: [CodingUserInfoKey: Any] { decoder.userInfo }
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Filtered<Key>(base: try decoder.container(keyedBy: Key.self)))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try decoder.unkeyedContainer() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { try decoder.singleValueContainer() }
    }

    private struct Filtered<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let base: KeyedDecodingContainer<Key>
        static var hidden: Set<String> { ["name", "shards", "replicas"] }
        var codingPath: [any CodingKey] { base.codingPath }
        var allKeys: [Key] { base.allKeys.filter { !Self.hidden.contains($0.stringValue) } }
        func contains(_ key: Key) -> Bool { !Self.hidden.contains(key.stringValue) && base.contains(key) }
        func decodeNil(forKey key: Key) throws -> Bool { try base.decodeNil(forKey: key) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try base.decode(type, forKey: key) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try base.nestedContainer(keyedBy: type, forKey: key)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try base.nestedUnkeyedContainer(forKey: key) }
        func superDecoder() throws -> any Decoder { try base.superDecoder() }
        func superDecoder(forKey key: Key) throws -> any Decoder { try base.superDecoder(forKey: key) }
    }
}

/// A search of a clustered collection: the search, the sequences per shard it must see
/// (`min_seq`, from an upsert's answer) and whether a partial answer is acceptable.
struct ClusterSearchRequest: Decodable {
    var search: SearchRequest
    var minimumSequences: [Int: UInt64]
    var allowPartial: Bool

    private enum CodingKeys: String, CodingKey, CaseIterable { case minSeq = "min_seq", allowPartial = "allow_partial" }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: SearchRequest.fieldNames + CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        search = try SearchRequest(fieldsOf: decoder)
        allowPartial = try container.field(Bool.self, .allowPartial, expected: "true or false", in: decoder) ?? false
        let sequences = try container.field([String: UInt64].self, .minSeq, expected: "an object of shard number to sequence", in: decoder) ?? [:]
        minimumSequences = [:]
        for (key, sequence) in sequences {
            guard let shard = Int(key), shard >= 0 else { throw APIError.invalidField("min_seq: \"\(key.prefix(40))\" is not a shard number") }
            minimumSequences[shard] = sequence
        }
    }
}

/// A search of one shard replica, node to node: the search and the sequence it must see.
struct ShardSearchRequest: Decodable {
    var search: SearchRequest
    var minimumSequence: UInt64

    private enum CodingKeys: String, CodingKey, CaseIterable { case minSeq = "min_seq" }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: SearchRequest.fieldNames + CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        search = try SearchRequest(fieldsOf: decoder)
        minimumSequence = try container.field(UInt64.self, .minSeq, expected: "an unsigned integer", in: decoder) ?? 0
    }
}

/// What a node sends another to search one of its shards (the vector as base64 float32: exact).
struct ShardSearchBody: Encodable {
    var vectorB64: String
    var k: Int
    var ef: Int?
    var label: String?
    var exact: Bool
    var minSeq: UInt64

    private enum CodingKeys: String, CodingKey { case vectorB64 = "vector_b64", k, ef, label, exact, minSeq = "min_seq" }

    /// The body of `search` on `vector`, for a replica that has applied `minimumSequence`.
    init(_ search: SearchRequest, vector: [Float], minimumSequence: UInt64) {
        vectorB64 = vector.withUnsafeBytes { Data($0).base64EncodedString() }
        k = search.k
        ef = search.ef
        label = search.label
        exact = search.exact
        minSeq = minimumSequence
    }
}
