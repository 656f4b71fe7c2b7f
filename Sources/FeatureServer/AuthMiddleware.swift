import Foundation
import Hummingbird

/// `Authorization: Bearer KEY` on every route but /healthz, when the server has API keys.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// The accepted keys, as bytes.
    let keys: [[UInt8]]

    /// A middleware accepting `keys`.
    init(keys: [String]) { self.keys = keys.map { Array($0.utf8) } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if keys.isEmpty || request.uri.path == "/healthz" { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), Self.matches(Array(header.utf8.dropFirst(7)), any: keys) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer"
            throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer with a valid API key", headers: headers)
        }
        return try await next(request, context)
    }

    /// Compares against every key in full, in time that depends only on the lengths, so the
    /// answer's timing tells nothing about how much of a key was right.
    static func matches(_ candidate: [UInt8], any keys: [[UInt8]]) -> Bool {
        var found = false
        for key in keys {
            var difference = UInt8(truncatingIfNeeded: key.count ^ candidate.count)
            for index in 0..<key.count {
                difference |= key[index] ^ (index < candidate.count ? candidate[index] : 0)
            }
            found = found || difference == 0
        }
        return found
    }
}
