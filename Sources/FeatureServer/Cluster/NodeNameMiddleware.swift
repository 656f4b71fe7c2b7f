import HTTPTypes
import Hummingbird

/// Names the node in every answer (`X-FMDB-Node`), so a client behind a load balancer knows
/// which node served it.
struct NodeNameMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// This node's name.
    let node: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = node
            return response
        } catch let error as APIError {
            var response = error.response()
            response.headers[Self.header] = node
            return response
        }
    }

    private static let header = HTTPField.Name("X-FMDB-Node")!
}
