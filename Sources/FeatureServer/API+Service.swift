import Hummingbird

extension API {
    /// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`.
    func registerService(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in try API.json(Status(status: "ok")) }
        router.get("/readyz") { _, _ in
            if let cluster, !cluster.isReady {
                throw APIError(.serviceUnavailable, "unavailable", "not connected to NATS, or shard replicas are still catching up with their logs")
            }
            guard registry.isReady else {
                let failed = registry.failed.withLock { $0.keys.sorted() }
                let reason = failed.isEmpty ? "collections are still warming up" : "collections failed to open: \(failed.joined(separator: ", "))"
                throw APIError(.serviceUnavailable, "unavailable", reason)
            }
            return try API.json(Status(status: "ready"))
        }
        router.get("/metrics") { _, _ in
            guard let metrics else { throw APIError.notFound("metrics are off (fmdb serve --no-metrics)") }
            if let cluster { cluster.metrics?.update(from: cluster) }
            let collections = registry.all + (cluster?.replicas.map(\.collection) ?? [])
            let isReady = registry.isReady && (cluster?.isReady ?? true)
            let text = metrics.exposition(collections: collections, isReady: isReady, directory: registry.directory)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
    }
}
