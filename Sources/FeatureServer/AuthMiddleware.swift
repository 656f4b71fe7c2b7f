import Foundation
import Hummingbird

/// `Authorization: Bearer KEY` on every route but /healthz and the dashboard page, when the
/// server has API keys. The page is static, holds no data, and a browser's address bar cannot
/// send the header; the data it charts (`/dashboard/data`) needs the key like every other route.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// The accepted keys, as bytes.
    let keys: [[UInt8]]

    /// A middleware accepting `keys`.
    init(keys: [String]) { self.keys = keys.map { Array($0.utf8) } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if keys.isEmpty || Self.open.contains(request.uri.path) { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), Self.matches(Array(header.utf8.dropFirst(7)), any: keys) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer"
            throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer with a valid API key", headers: headers)
        }
        return try await next(request, context)
    }

    /// Paths served without a key.
    static let open: Set<String> = ["/healthz", "/dashboard"]

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
