import Hummingbird
import Logging

/// Every error becomes the API's JSON error with its status (inside the request metrics, which
/// count the status the client gets).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

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
        return response
    }
}
