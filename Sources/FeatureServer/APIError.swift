import Foundation
import Hummingbird

/// An error the API answers with: a status and `{"error": {"code": ..., "message": ...}}`.
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable machine-readable code (`invalid_field`, `not_found`, ...).
    public var code: String
    /// What went wrong, naming the field or resource.
    public var message: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields = [:]

    /// An error with a status, a code and a message.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The response text, for logs and tests.
    public var description: String { "\(status.code) \(code): \(message)" }

    /// 400: a field has a wrong value or type.
    static func invalidField(_ message: String) -> APIError { APIError(.badRequest, "invalid_field", message) }
    /// 400: the body is not JSON.
    static func invalidJSON(_ message: String) -> APIError { APIError(.badRequest, "invalid_json", message) }
    /// 404: no such collection, point or route.
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    /// 409: the request conflicts with what exists.
    static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }
    /// 503 with Retry-After: too much work is waiting.
    static func overloaded(_ message: String) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = "1"
        return APIError(.serviceUnavailable, "overloaded", message, headers: headers)
    }
    /// 500: a failure the client cannot fix.
    static func internalError(_ message: String) -> APIError { APIError(.internalServerError, "internal", message) }

    /// The JSON error response.
    func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = ErrorBody(error: .init(code: code, message: message))
        let data = (try? API.encoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"unencodable error"}}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}
