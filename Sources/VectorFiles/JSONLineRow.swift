import Foundation

/// Parsing of one JSON-lines row: `[1, 2, 3]` or `{"vector": [1, 2, 3], "id": 7, "label": "dog",
/// "user_data": "AAE="}` (user data in base64).
enum JSONLineRow {
    private struct ObjectRow: Decodable {
        var vector: [Float]
        var id: UInt64?
        var label: String?
        var user_data: String?
    }

    static func parse(_ line: Data, path: String, row: Int) throws(VectorFileError) -> VectorFileRow {
        let decoder = JSONDecoder()
        let trimmed = line.drop(while: { $0 == 0x20 || $0 == 0x09 })
        if trimmed.first == UInt8(ascii: "[") {
            do {
                return VectorFileRow(vector: try decoder.decode([Float].self, from: line))
            } catch {
                throw .malformed(path: path, row: row, reason: "expected an array of numbers: \(reason(error))")
            }
        }
        do {
            let object = try decoder.decode(ObjectRow.self, from: line)
            var userData: Data?
            if let encoded = object.user_data {
                guard let decoded = Data(base64Encoded: encoded) else {
                    throw VectorFileError.malformed(path: path, row: row, reason: "\"user_data\" is not base64")
                }
                userData = decoded
            }
            return VectorFileRow(vector: object.vector, id: object.id, label: object.label, userData: userData)
        } catch let error as VectorFileError {
            throw error
        } catch {
            throw .malformed(path: path, row: row, reason: "expected {\"vector\": [...], \"id\"?, \"label\"?, \"user_data\"?}: \(reason(error))")
        }
    }

    private static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            let at = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return at.isEmpty ? context.debugDescription : "at \(at): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "missing \"\(key.stringValue)\""
        default:
            return "not valid JSON"
        }
    }
}
