import Foundation
import Hummingbird
import NIOCore

/// Reading a request's JSON body: the content type checked, the size bounded before it is all
/// read, and decoding errors turned into 400s that name the field.
enum JSONBody {
    /// Decodes the body of `request` as `T`, reading at most `limit` bytes.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        try requireContentType(request, accepted: ["application/json"])
        let buffer = try await collect(request, limit: limit)
        if let fast = T.self as? any FastDecodable.Type,
           let value = try buffer.withUnsafeReadableBytes({ try fast.fastDecode($0) }) as? T {
            return value
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw message(for: error)
        }
    }

    /// The body's bytes: 413 at once when Content-Length is over `limit`, or as soon as more arrives.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "payload_too_large", "the body is \(length) bytes; the limit is \(limit)")
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "payload_too_large", "the body is over the limit of \(limit) bytes")
        } catch is NIOTooManyBytesError {
            // a body without Content-Length (chunked) passes the check above and fails here
            throw APIError(.contentTooLarge, "payload_too_large", "the body is over the limit of \(limit) bytes")
        } catch {
            // the connection closed or the framing broke mid-body: the client's side, not a 500
            throw APIError(.badRequest, "incomplete_body", "the body ended before it was whole: \(error)")
        }
    }

    /// 415 unless the request's media type is one of `accepted`.
    static func requireContentType(_ request: Request, accepted: [String]) throws {
        let value = request.headers[.contentType] ?? ""
        let media = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard accepted.contains(media) else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "Content-Type must be \(accepted.joined(separator: " or ")), got \(value.isEmpty ? "none" : "\"\(value)\"")")
        }
    }

    private static func message(for error: DecodingError) -> APIError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .invalidJSON("the body is not valid JSON: \(context.debugDescription)")
        case .dataCorrupted(let context):
            return .invalidField("\(FieldPath.text(context.codingPath)): \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            return .invalidField("\(FieldPath.text(context.codingPath + [key])): missing")
        case .typeMismatch(let type, let context):
            return .invalidField("\(FieldPath.text(context.codingPath)): expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidField("\(FieldPath.text(context.codingPath)): expected \(describe(type)), got null")
        @unknown default:
            return .invalidJSON("\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Float.Type, is Double.Type: "a number"
        case is Int.Type, is UInt64.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
