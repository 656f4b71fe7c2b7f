import Hummingbird

/// The outermost middleware: counts every answered request by route pattern (never the path
/// itself, whose ids and names are unbounded), method and status, and times it.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Where requests are counted.
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        metrics.answered(
            route: Self.route(context.endpointPath), method: Self.method(request.method), status: response.status.code,
            duration: ContinuousClock.now - started, requestBytes: request.headers[.contentLength].flatMap { Int($0) } ?? 0,
            responseBytes: response.body.contentLength ?? 0)
        return response
    }

    /// The method as a label value: a client may send any token as a method, so only the
    /// standard ones are kept and the rest counted as `other`.
    static func method(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .post, .put, .delete, .head, .options, .patch: method.rawValue
        default: "other"
        }
    }

    /// The route pattern as a label value: `unmatched` when no route took the request.
    static func route(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound" else { return "unmatched" }
        return endpointPath
    }
}
