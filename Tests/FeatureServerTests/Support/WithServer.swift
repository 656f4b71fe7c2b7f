import AsyncHTTPClient
import Foundation
import Testing

/// Runs `body` against a fresh server serving a new temporary directory (or `directory`), then
/// stops it with SIGTERM and checks that it exited 0.
func withServer<R>(
    _ arguments: [String] = [], directory: URL? = nil, connections: Int = 8, tls: Bool = false,
    _ body: (ServerProcess, TestClient) async throws -> R
) async throws -> R {
    let scratch = try TemporaryDirectory()
    let server = try await ServerProcess(directory: directory ?? scratch.url.appendingPathComponent("collections"), arguments: arguments)
    let http = TestHTTP.client(connections: connections, tls: tls)
    let outcome: Result<R, any Error>
    do { outcome = .success(try await body(server, TestClient(http: http, base: server.url))) } catch { outcome = .failure(error) }
    try await http.shutdown()
    if server.isRunning {
        let status = try await server.stop()
        #expect(status == 0, "fmdb serve exited \(status); stderr: \(server.standardError)")
    }
    return try outcome.get()
}

/// HTTP clients for the tests.
enum TestHTTP {
    /// A client keeping up to `connections` connections to one server (shut it down after use).
    static func client(connections: Int = 8, tls: Bool = false) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        if tls { configuration.tlsConfiguration = TestTLS.trustingAnyCertificate }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-server-test-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
}
