import Hummingbird
import Logging

/// The outermost middleware: every error becomes the API's JSON error with its status, and every
/// response is counted by status class.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Where responses are counted.
    let counters: ServerCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let mapped = ErrorMapping.apiError(for: error)
            if mapped.status.code >= 500, mapped.code == "internal" {
                context.logger.error("\(request.method) \(request.uri.path): \(error)")
            }
            response = mapped.response()
        }
        counters.answered(status: response.status.code)
        return response
    }
}
