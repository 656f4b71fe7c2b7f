import Hummingbird

/// 405 with `Allow` for a method a route does not answer: the router alone answers 404, as if
/// the path did not exist.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// The methods of each route, as registered in `API` (`:name` matches one path segment).
    static let routes: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/v1/collections", [.get]),
        ("/v1/collections/:name", [.put, .get, .delete]),
        ("/v1/collections/:name/points", [.post]),
        ("/v1/collections/:name/points/:id", [.get, .delete]),
        ("/v1/collections/:name/points/delete", [.post]),
        ("/v1/collections/:name/search", [.post]),
        ("/v1/collections/:name/search/batch", [.post]),
        ("/v1/collections/:name/learn", [.post]),
        ("/v1/collections/:name/recognize", [.post]),
        ("/healthz", [.get]),
        ("/readyz", [.get]),
        ("/metrics", [.get]),
        ("/openapi.yaml", [.get]),
        ("/dashboard", [.get]),
        ("/dashboard/data", [.get]),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = Self.methods(for: request.uri.path), !methods.contains(request.method) else { throw error }
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            var headers = HTTPFields()
            headers[.allow] = allow
            throw APIError(
                .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) \(request.uri.path): this route answers \(allow)",
                headers: headers)
        }
    }

    /// The methods of the route `path` names, or nil when it names none. As in the router, a
    /// literal segment wins over a parameter (`points/delete` is not the point `delete`).
    static func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var best: (parameters: Int, methods: [HTTPRequest.Method])?
        for route in routes {
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard pattern.count == segments.count else { continue }
            var parameters = 0
            let matches = zip(pattern, segments).allSatisfy { expected, actual in
                guard expected.hasPrefix(":") else { return expected == actual }
                parameters += 1
                return !actual.isEmpty
            }
            if matches, best.map({ parameters < $0.parameters }) ?? true { best = (parameters, route.methods) }
        }
        return best?.methods
    }
}
