import Foundation
import Testing

/// `/healthz`, `/readyz`, `/metrics`, `/openapi.yaml`, and routes that do not exist.
struct ServiceRouteTests {
    @Test func healthAndReadinessAnswerOK() async throws {
        try await withServer { _, client in
            let health = try await client.get("/healthz")
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok"}"#)
            #expect(health.headers.first(name: "Content-Type") == "application/json")
            let ready = try await client.get("/readyz")
            #expect(ready.status == 200)
            #expect(ready.text == #"{"status":"ready"}"#)
        }
    }

    @Test func readinessIs503WhileACollectionFailedToOpen() async throws {
        let root = try TemporaryDirectory()
        let served = root.url.appendingPathComponent("served")
        let broken = served.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data(repeating: 0xAB, count: 8_192).write(to: broken.appendingPathComponent("data.mdb"))
        try await withServer(directory: served) { _, client in
            let ready = try await client.get("/readyz")
            #expect(ready.status == 503, "\(ready.text)")
            let error = try ready.apiError()
            #expect(error.code == "unavailable")
            #expect(error.message.contains("broken"))
            #expect(try await client.get("/healthz").status == 200, "alive, though not ready")
            #expect(try await client.get("/v1/collections/broken").status == 404)
            try await client.createCollection("fine", dimension: 2)
        }
        #expect(try Data(contentsOf: broken.appendingPathComponent("data.mdb")) == Data(repeating: 0xAB, count: 8_192), "left as it was")
    }

    @Test func metricsCountResponsesAndWritesPerCollection() async throws {
        try await withServer { _, client in
            try await client.createCollection("a", dimension: 2)
            try await client.createCollection("b", dimension: 2)
            try await client.upsert("a", [WirePoint(id: 1, vector: [1, 2]), WirePoint(id: 2, vector: [3, 4])])
            try await client.upsert("a", [WirePoint(id: 3, vector: [1, 2])])
            #expect(try await client.get("/v1/collections/none").status == 404)

            let reply = try await client.get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains("# TYPE featurememory_http_requests_total counter"))
            #expect(try await client.metric(#"featurememory_group_commit_requests_sum{collection="a"}"#) == 2)
            #expect(try await client.metric(#"featurememory_commits_total{collection="a"}"#) == 2)
            #expect(try await client.metric(#"featurememory_group_commit_requests_count{collection="b"}"#) == 0)
            #expect(try await client.metric(#"featurememory_collection_vectors{collection="a"}"#) == 3)
            #expect(try await client.metric(#"featurememory_points_upserted_total{collection="a"}"#) == 3)
            #expect(try await client.metric(#"featurememory_http_requests_total{route="/v1/collections/{name}",method="GET",status="404"}"#) == 1)
            #expect(try await client.metric(#"featurememory_http_requests_total{route="/v1/collections/{name}/points",method="POST",status="200"}"#) == 2)
            #expect(try await client.metric("featurememory_http_connections_refused_total") == 0)
            #expect(try await client.metric("featurememory_http_header_timeouts_total") == 0)
            #expect(try await client.metric("featurememory_http_overloaded_total") == 0)
        }
    }

    @Test func openAPIDocumentIsServedAsYAML() async throws {
        try await withServer { _, client in
            let reply = try await client.get("/openapi.yaml")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type") == "application/yaml")
            // the document itself is written elsewhere (openapi.yaml); this checks that it is served whole
            #expect(reply.text.hasPrefix("openapi: 3"))
            #expect(reply.text.contains("\npaths:"))
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("openapi.yaml")
            if let source = try? String(contentsOf: file, encoding: .utf8) {
                #expect(reply.text.trimmingCharacters(in: .whitespacesAndNewlines) == source.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    @Test func unknownRoutesAre404WithTheJSONError() async throws {
        try await withServer { _, client in
            for path in ["/", "/v1", "/v2/collections", "/v1/collections/c/unknown"] {
                let reply = try await client.get(path)
                #expect(reply.status == 404, "\(path)")
                #expect(try reply.apiError().code == "not_found")
            }
        }
    }
}
