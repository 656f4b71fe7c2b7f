import Foundation

/// A point as the API sends and takes it (`vector_b64` only when sending).
struct WirePoint: Codable, Equatable, Sendable {
    var id: UInt64
    var vector: [Float]?
    var vectorB64: String?
    var label: String?

    init(id: UInt64, vector: [Float], label: String? = nil) {
        self.id = id
        self.vector = vector
        self.label = label
    }

    init(id: UInt64, base64Of vector: [Float], label: String? = nil) {
        self.id = id
        self.vectorB64 = Base64Floats.encode(vector)
        self.label = label
    }

    private enum CodingKeys: String, CodingKey { case id, vector, vectorB64 = "vector_b64", label }
}

/// Little-endian float32 values as base64, the API's `vector_b64`.
enum Base64Floats {
    static func encode(_ values: [Float]) -> String {
        var bytes: [UInt8] = []
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return Data(bytes).base64EncodedString()
    }
}

/// `POST .../points`.
struct Upsert: Encodable { var points: [WirePoint] }
/// Its answer.
struct Upserted: Decodable { var upserted: Int }
/// `DELETE .../points/{id}`, `POST .../points/delete`.
struct Deleted: Decodable { var deleted: Int }

/// A collection's info.
struct WireCollection: Decodable, Equatable {
    struct Cache: Decodable, Equatable {
        var hits: Int
        var misses: Int
        var hitRate: Double
        var nodes: Int
        var bytes: Int
        private enum CodingKeys: String, CodingKey { case hits, misses, hitRate = "hit_rate", nodes, bytes }
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
    private enum CodingKeys: String, CodingKey { case name, count, dimension, metric, m, efConstruction = "ef_construction", encoding, bytes, cache }
}

/// `GET /v1/collections`.
struct WireCollectionList: Decodable { var collections: [WireCollection] }

/// One search, as sent.
struct WireSearch: Encodable, Sendable {
    var vector: [Float]?
    var vectorB64: String?
    var k: Int?
    var ef: Int?
    var label: String?
    var exact: Bool?
    private enum CodingKeys: String, CodingKey { case vector, vectorB64 = "vector_b64", k, ef, label, exact }
}

/// One search's answer.
struct WireResult: Decodable, Equatable {
    var ids: [UInt64]
    var distances: [Float]
    var labels: [String?]
}

/// `POST .../search/batch`.
struct WireBatch: Encodable { var searches: [WireSearch] }
/// Its answer.
struct WireBatchResult: Decodable { var results: [WireResult] }
