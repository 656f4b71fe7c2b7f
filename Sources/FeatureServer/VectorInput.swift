import Foundation

/// A vector as a client sent it: `"vector": [numbers]` or `"vector_b64"`, base64 of
/// little-endian float32 (a third of the bytes of JSON numbers).
struct VectorInput {
    /// The values, in order.
    var values: [Float]
    /// The field it came from, for messages ("points[3].vector").
    var field: String

    private enum CodingKeys: String, CodingKey { case vector, vectorB64 = "vector_b64" }

    /// Values read elsewhere, from `field`.
    init(values: [Float], field: String) {
        self.values = values
        self.field = field
    }

    /// The values of base64 text (little-endian float32) from `field`.
    init(base64 text: String, field: String) throws {
        self.values = try Self.decodeBase64(text, field: field)
        self.field = field
    }

    /// Reads the one vector field of the object `decoder` reads.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let prefix = decoder.codingPath.isEmpty ? "" : FieldPath.text(decoder.codingPath)
        func named(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
        switch (container.contains(.vector), container.contains(.vectorB64)) {
        case (true, false):
            field = named("vector")
            values = try container.required([Float].self, .vector, expected: "an array of numbers that fit float32", in: decoder)
        case (false, true):
            field = named("vector_b64")
            values = try Self.decodeBase64(try container.required(String.self, .vectorB64, expected: "a base64 string", in: decoder), field: field)
        case (true, true):
            throw APIError.invalidField("\(named("vector")): give vector or vector_b64, not both")
        case (false, false):
            throw APIError.invalidField("\(named("vector")): missing (give vector or vector_b64)")
        }
    }

    /// The largest squared length accepted, (2^62)^2.
    static let maximumSquaredLength = 0x1p124

    /// The values, checked against the collection's dimension and for NaN or infinity.
    func checked(dimension: Int) throws -> [Float] {
        guard values.count == dimension else {
            throw APIError.invalidField("\(field): expected \(dimension) values, got \(values.count)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw APIError.invalidField("\(field)[\(bad)]: NaN or infinity")
        }
        // past 2^62 (in Double, so the check itself cannot overflow) a distance to another such
        // vector overflows float32; the engine ranks it as infinitely far, but an answer cannot
        // carry infinity in JSON, so the API takes no vector whose distances it could not report
        let squaredLength = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        guard squaredLength <= Self.maximumSquaredLength else {
            throw APIError.invalidField("\(field): its length is over 2^62, where distances overflow float32")
        }
        return values
    }

    private static func decodeBase64(_ text: String, field: String) throws -> [Float] {
        guard let data = Data(base64Encoded: text) else {
            throw APIError.invalidField("\(field): not base64")
        }
        guard data.count % 4 == 0 else {
            throw APIError.invalidField("\(field): \(data.count) bytes is not a whole number of float32 values")
        }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

/// A coding path written as clients read it: `points[3].vector`.
enum FieldPath {
    /// One component: `[3]` for an array index, the key otherwise.
    static func component(_ key: any CodingKey) -> String {
        if let index = key.intValue { return "[\(index)]" }
        return key.stringValue
    }

    /// A whole path, with array indexes attached to their array's name.
    static func text(_ path: [any CodingKey]) -> String {
        var result = ""
        for key in path {
            let part = component(key)
            if part.hasPrefix("[") || result.isEmpty { result += part } else { result += "." + part }
        }
        return result.isEmpty ? "body" : result
    }
}
