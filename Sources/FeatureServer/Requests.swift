import FeatureMemory
import Foundation

/// `PUT /v1/collections/{name}`: what a collection is created with.
struct CollectionSettings: Decodable, Equatable {
    var dimension: Int
    var metric: Metric
    var m: Int
    var efConstruction: Int
    /// How the collection's store keeps vectors (f32 unless asked).
    var encoding: VectorEncoding

    private enum CodingKeys: String, CodingKey, CaseIterable { case dimension, metric, m, efConstruction = "ef_construction", encoding }

    init(dimension: Int, metric: Metric, m: Int, efConstruction: Int, encoding: VectorEncoding = .f32) {
        (self.dimension, self.metric, self.m, self.efConstruction, self.encoding) = (dimension, metric, m, efConstruction, encoding)
    }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dimension = try container.required(Int.self, .dimension, expected: "an integer", in: decoder)
        let metricName = try container.field(String.self, .metric, expected: "a string", in: decoder) ?? "cosine"
        guard let metric = Metric(rawValue: metricName) else {
            throw APIError.invalidField("metric: expected \"cosine\", \"l2\" or \"ip\", got \"\(metricName)\"")
        }
        self.metric = metric
        let encodingName = try container.field(String.self, .encoding, expected: "a string", in: decoder) ?? VectorEncoding.f32.rawValue
        guard let encoding = VectorEncoding(rawValue: encodingName) else {
            let names = VectorEncoding.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw APIError.invalidField("encoding: expected one of \(names), got \"\(encodingName)\"")
        }
        self.encoding = encoding
        m = try container.field(Int.self, .m, expected: "an integer", in: decoder) ?? HNSWParameters().m
        // the default follows a large m: ef_construction may not be below m
        efConstruction = try container.field(Int.self, .efConstruction, expected: "an integer", in: decoder)
            ?? max(HNSWParameters().efConstruction, m)
        guard (1...StoreOptions.maximumDimension).contains(dimension) else {
            throw APIError.invalidField("dimension: must be 1…\(StoreOptions.maximumDimension), got \(dimension)")
        }
        guard HNSWParameters.mRange.contains(m) else {
            throw APIError.invalidField("m: must be \(HNSWParameters.mRange.lowerBound)…\(HNSWParameters.mRange.upperBound), got \(m)")
        }
        let efRange = HNSWParameters.efConstructionRange(m: m)
        guard efRange.contains(efConstruction) else {
            throw APIError.invalidField("ef_construction: must be \(efRange.lowerBound)…\(efRange.upperBound), got \(efConstruction)")
        }
    }
}

/// One point of an upsert: an id, a vector (JSON numbers or base64 float32) and an optional label.
struct PointInput: Decodable {
    var id: UInt64
    var vector: VectorInput
    var label: String?

    private enum CodingKeys: String, CodingKey, CaseIterable { case id, vector, vectorB64 = "vector_b64", label }

    /// A point from its fields.
    init(id: UInt64, vector: VectorInput, label: String?) {
        (self.id, self.vector, self.label) = (id, vector, label)
    }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.required(UInt64.self, .id, expected: "an unsigned 64-bit integer", in: decoder)
        vector = try VectorInput(from: decoder)
        label = try container.field(String.self, .label, expected: "a string", in: decoder)
    }
}

/// `POST .../points`.
struct UpsertRequest: Decodable {
    var points: [PointInput]
    private enum CodingKeys: String, CodingKey, CaseIterable { case points }

    /// An upsert of `points`.
    init(points: [PointInput]) { self.points = points }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        points = try decoder.container(keyedBy: CodingKeys.self).required([PointInput].self, .points, expected: "an array of points", in: decoder)
    }
}

/// `POST .../points/delete`.
struct DeleteRequest: Decodable {
    var ids: [UInt64]
    private enum CodingKeys: String, CodingKey, CaseIterable { case ids }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        ids = try decoder.container(keyedBy: CodingKeys.self).required([UInt64].self, .ids, expected: "an array of unsigned 64-bit integers", in: decoder)
    }
}

/// `POST .../search`, and each search of a batch.
struct SearchRequest: Decodable {
    var vector: VectorInput
    var k: Int
    var ef: Int?
    var label: String?
    var exact: Bool

    private enum CodingKeys: String, CodingKey, CaseIterable { case vector, vectorB64 = "vector_b64", k, ef, label, exact }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: Self.fieldNames)
        try self.init(fieldsOf: decoder)
    }

    /// The JSON keys of a search, for requests that add their own to them.
    static let fieldNames = CodingKeys.allCases.map(\.rawValue)

    /// A search from the search fields of the object `decoder` reads (its other keys are the caller's to check).
    init(fieldsOf decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            vector: try VectorInput(from: decoder),
            k: try container.field(Int.self, .k, expected: "an integer", in: decoder),
            ef: try container.field(Int.self, .ef, expected: "an integer", in: decoder),
            label: try container.field(String.self, .label, expected: "a string", in: decoder),
            exact: try container.field(Bool.self, .exact, expected: "true or false", in: decoder),
            path: decoder.codingPath.isEmpty ? "" : FieldPath.text(decoder.codingPath) + ".")
    }

    /// A search from its fields (absent ones nil), checked; `path` prefixes field names in errors.
    init(vector: VectorInput, k: Int?, ef: Int?, label: String?, exact: Bool?, path: String = "") throws {
        self.vector = vector
        self.k = k ?? 10
        self.ef = ef
        self.label = label
        self.exact = exact ?? false
        guard Limits.k.contains(self.k) else {
            throw APIError.invalidField("\(path)k: must be \(Limits.k.lowerBound)…\(Limits.k.upperBound), got \(self.k)")
        }
        if let ef, !Limits.ef.contains(ef) {
            throw APIError.invalidField("\(path)ef: must be \(Limits.ef.lowerBound)…\(Limits.ef.upperBound), got \(ef)")
        }
    }
}

/// `POST .../search/batch`.
struct BatchSearchRequest: Decodable {
    var searches: [SearchRequest]
    private enum CodingKeys: String, CodingKey, CaseIterable { case searches }

    /// A batch of `searches`.
    init(searches: [SearchRequest]) { self.searches = searches }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        searches = try decoder.container(keyedBy: CodingKeys.self).required([SearchRequest].self, .searches, expected: "an array of searches", in: decoder)
    }
}

/// Refuses an object with a key the request type does not know, so a misspelt field is an error
/// and not silently ignored.
enum StrictKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws `invalid_field` naming the first unknown key of the object `decoder` reads.
    static func check(_ decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.first(where: { !allowed.contains($0.stringValue) }) {
            let path = FieldPath.text(decoder.codingPath + [unknown])
            throw APIError.invalidField("\(path): unknown field (expected one of \(allowed.joined(separator: ", ")))")
        }
    }
}
