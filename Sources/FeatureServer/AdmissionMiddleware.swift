import Hummingbird
import Synchronization

/// Bounds the work waiting in the server: past `maximumInFlight` requests being handled, a new
/// one is answered 503 with Retry-After at once instead of slowing everyone. Health, readiness
/// and metrics are always answered: an overloaded server is when its monitoring matters most, and
/// a refused scrape would read as a server down.
struct AdmissionMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Requests handled at once before new ones are refused.
    let maximumInFlight: Int
    /// Where the count lives (also shown on /metrics).
    let counters: ServerCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let now = counters.inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { counters.inFlight.wrappingSubtract(1, ordering: .relaxed) }
        if now > maximumInFlight, !Self.alwaysAnswered.contains(request.uri.path) {
            counters.overloaded.add()
            throw APIError.overloaded("\(maximumInFlight) requests are already waiting; retry")
        }
        return try await next(request, context)
    }

    /// Paths never refused as overloaded (cheap, and read by monitoring).
    static let alwaysAnswered: Set<String> = ["/healthz", "/readyz", "/metrics"]
}
