/// Decoding one field with an error that names it: JSONDecoder reports a number that does not
/// fit its type (a negative id, 1.5 for k, 1e39 in a float32 vector) without a path.
extension KeyedDecodingContainer {
    /// The field's value, or nil when absent or null; 400 naming the field and what was expected otherwise.
    func field<T: Decodable>(_ type: T.Type, _ key: Key, expected: String, in decoder: any Decoder) throws -> T? {
        do {
            return try decodeIfPresent(type, forKey: key)
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError where Self.path(of: error).count > decoder.codingPath.count + 1 {
            throw error  // deeper inside, where it names its own field
        } catch {
            throw APIError.invalidField("\(FieldPath.text(decoder.codingPath + [key])): expected \(expected)")
        }
    }

    private static func path(of error: DecodingError) -> [any CodingKey] {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context): context.codingPath
        case .keyNotFound(let key, let context): context.codingPath + [key]
        @unknown default: []
        }
    }

    /// The field's value; 400 naming the field when it is absent, null or not what was expected.
    func required<T: Decodable>(_ type: T.Type, _ key: Key, expected: String, in decoder: any Decoder) throws -> T {
        guard let value = try field(type, key, expected: expected, in: decoder) else {
            throw APIError.invalidField("\(FieldPath.text(decoder.codingPath + [key])): missing (expected \(expected))")
        }
        return value
    }
}
