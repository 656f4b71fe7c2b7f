import Foundation
import Hummingbird

/// The routes of `fmdb serve` over a registry of collections (see openapi.yaml).
struct API: Sendable {
    /// The served collections.
    let registry: CollectionRegistry
    /// The largest request body read, in bytes.
    let maximumBodyBytes: Int
    /// Server-wide counters for /metrics.
    let counters: ServerCounters
    /// The metrics registry behind /metrics (nil: the server runs without metrics).
    let metrics: ServerMetrics?
    /// The ef of searches that give none (nil: the store's default).
    let defaultEf: Int?
    /// What the dashboard charts (nil without metrics).
    let dashboard: DashboardSeries?
    /// This node's part in a cluster (nil: a single node serving its directory).
    let cluster: ClusterNode?

    /// Adds every route to `router`.
    func register(on router: Router<BasicRequestContext>) {
        registerService(on: router)
        if let cluster {
            registerClusterCollections(on: router, node: cluster)
            registerClusterShards(on: router, node: cluster)
        } else {
            registerCollections(on: router)
            registerPoints(on: router)
            registerSearch(on: router)
            registerAudio(on: router)
        }
        registerDashboard(on: router)
        registerDashboardData(on: router)
    }

    /// A JSON response.
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try API.encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Answers are written with sorted keys (the same bytes for the same answer) and `/` unescaped.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The `{name}` path parameter.
    static func name(_ context: BasicRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        try CollectionRegistry.checkName(name)
        return name
    }

    /// The `{id}` path parameter, an unsigned 64-bit integer.
    static func id(_ context: BasicRequestContext) throws -> UInt64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = UInt64(text) else { throw APIError.invalidField("id: expected an unsigned 64-bit integer, got \"\(text.prefix(40))\"") }
        return id
    }
}
