import Foundation
import Testing

/// `PUT|GET|DELETE /v1/collections/{name}` and `GET /v1/collections` on a real server.
struct CollectionRouteTests {
    @Test func createIsCreatedThenSameSettingsOKThenOtherSettingsConflict() async throws {
        try await withServer { _, client in
            let created = try await client.send(.PUT, "/v1/collections/c", json: #"{"dimension": 3, "metric": "l2"}"#)
            #expect(created.status == 201, "\(created.text)")
            let info = try created.decode(WireCollection.self)
            #expect((info.name, info.count, info.dimension, info.metric, info.m, info.efConstruction) == ("c", 0, 3, "l2", 16, 200))

            let again = try await client.send(.PUT, "/v1/collections/c", json: #"{"dimension": 3, "metric": "l2", "m": 16}"#)
            #expect(again.status == 200, "\(again.text)")
            #expect(try again.decode(WireCollection.self).name == "c")

            for other in [#"{"dimension": 4, "metric": "l2"}"#, #"{"dimension": 3}"#, #"{"dimension": 3, "metric": "l2", "m": 8}"#] {
                let conflict = try await client.send(.PUT, "/v1/collections/c", json: other)
                #expect(conflict.status == 409, "\(other): \(conflict.text)")
                #expect(try conflict.apiError().code == "conflict")
            }
            // the conflicting requests changed nothing
            let after = try await client.get("/v1/collections/c")
            #expect(try after.decode(WireCollection.self).dimension == 3)
            #expect(try after.decode(WireCollection.self).metric == "l2")
        }
    }

    /// `"encoding"` picks the stored precision: reported back, part of the settings a second PUT
    /// must match, and searches rank exactly by the stored (here half-precision) values.
    @Test func encodingIsKeptReportedAndSearchedExactly() async throws {
        try await withServer { _, client in
            let created = try await client.send(.PUT, "/v1/collections/h", json: #"{"dimension": 8, "metric": "l2", "encoding": "f16"}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(try created.decode(WireCollection.self).encoding == "f16")
            let plain = try await client.send(.PUT, "/v1/collections/p", json: #"{"dimension": 8}"#)
            #expect(try plain.decode(WireCollection.self).encoding == "f32")
            let conflict = try await client.send(.PUT, "/v1/collections/h", json: #"{"dimension": 8, "metric": "l2"}"#)
            #expect(conflict.status == 409, "\(conflict.text)")
            for bad in [#"{"dimension": 8, "encoding": "f8"}"#, #"{"dimension": 8, "encoding": 16}"#] {
                let refused = try await client.send(.PUT, "/v1/collections/x", json: bad)
                #expect(refused.status == 400, "\(bad): \(refused.text)")
                #expect(try refused.apiError().code == "invalid_field")
            }
            #expect(try await client.get("/v1/collections/x").status == 404)

            let points = Vectors.random(60, dimension: 8, seed: 9).enumerated().map { (id: UInt64($0.offset), vector: $0.element) }
            try await client.upsert("h", points.map { WirePoint(id: $0.id, vector: $0.vector, label: nil) })
            // half precision of each value is what the collection holds and ranks by
            let stored = points.map { (id: $0.id, vector: $0.vector.map { Float(Float16($0)) }) }
            for query in Vectors.random(5, dimension: 8, seed: 10) {
                let expected = Vectors.nearest(to: query, in: stored, k: 5, metric: "l2")
                let reply = try await client.send(.POST, "/v1/collections/h/search", encoding: WireSearch(vector: query, k: 5, exact: true))
                let result = try reply.decode(WireResult.self)
                #expect(result.ids == expected.map(\.id))
                for (got, want) in zip(result.distances, expected) { #expect(abs(Double(got) - want.distance) <= 1e-4 * max(1, want.distance)) }
            }
        }
    }

    @Test func badNamesAre400AndNothingIsCreatedOutsideTheDirectory() async throws {
        let root = try TemporaryDirectory()
        let served = root.url.appendingPathComponent("served")
        try await withServer(directory: served) { server, client in
            let paths = [
                "/v1/collections/..", "/v1/collections/%2e%2e", "/v1/collections/%2E%2E", "/v1/collections/a%2Fb",
                "/v1/collections/a%00b", "/v1/collections/%00", "/v1/collections/.hidden", "/v1/collections/a.b",
                "/v1/collections/" + String(repeating: "a", count: 65), "/v1/collections/%C3%A9",
            ]
            for path in paths {
                for method in ["PUT", "GET", "DELETE"] {
                    let response = try RawConnection.request(
                        port: server.port, method, path, body: method == "PUT" ? #"{"dimension": 3}"# : nil)
                    #expect(response.status == 400, "\(method) \(path): \(response.status)")
                    #expect(try response.reply.apiError().code == "invalid_name", "\(method) \(path)")
                }
            }
            // a literal slash makes another route (none): refused all the same
            let slash = try RawConnection.request(port: server.port, "PUT", "/v1/collections/a/b", body: #"{"dimension": 3}"#)
            #expect([400, 404].contains(slash.status), "\(slash.status)")
            let traversal = try RawConnection.request(port: server.port, "PUT", "/v1/collections/../../escaped", body: #"{"dimension": 3}"#)
            #expect(traversal.status >= 400, "\(traversal.status)")

            let longest = String(repeating: "b", count: 64)
            let accepted = try await client.send(.PUT, "/v1/collections/\(longest)", json: #"{"dimension": 3}"#)
            #expect(accepted.status == 201, "a 64-character name is valid: \(accepted.text)")

            #expect(try FileManager.default.contentsOfDirectory(atPath: root.url.path) == ["served"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: served.path) == [longest])
            #expect(!FileManager.default.fileExists(atPath: root.url.deletingLastPathComponent().appendingPathComponent("escaped").path))
            let list = try await client.get("/v1/collections").decode(WireCollectionList.self)
            #expect(list.collections.map(\.name) == [longest])
        }
    }

    @Test func listIsSortedAndGetAnswersInfoOr404() async throws {
        try await withServer { _, client in
            let empty = try await client.get("/v1/collections")
            #expect(empty.status == 200)
            #expect(try empty.decode(WireCollectionList.self).collections.isEmpty)

            try await client.createCollection("zeta", dimension: 2)
            try await client.createCollection("alpha", dimension: 5, metric: "cosine")
            try await client.createCollection("Mid_1-x", dimension: 3, metric: "ip")
            try await client.upsert("alpha", [WirePoint(id: 1, vector: [1, 0, 0, 0, 0]), WirePoint(id: 2, vector: [0, 1, 0, 0, 0])])

            let list = try await client.get("/v1/collections").decode(WireCollectionList.self)
            #expect(list.collections.map(\.name) == ["Mid_1-x", "alpha", "zeta"])
            #expect(list.collections.map(\.count) == [0, 2, 0])
            #expect(list.collections.map(\.metric) == ["ip", "cosine", "l2"])

            let alpha = try await client.get("/v1/collections/alpha")
            #expect(alpha.status == 200)
            let info = try alpha.decode(WireCollection.self)
            #expect((info.count, info.dimension, info.metric) == (2, 5, "cosine"))
            #expect(info.bytes > 0)

            let missing = try await client.get("/v1/collections/nothing")
            #expect(missing.status == 404)
            let error = try missing.apiError()
            #expect(error.code == "not_found")
            #expect(error.message.contains("nothing"))
        }
    }

    @Test func deleteAnswersThen404AndRecreatingGivesAnEmptyCollection() async throws {
        try await withServer { server, client in
            try await client.createCollection("c", dimension: 3)
            try await client.upsert("c", (1...3).map { WirePoint(id: $0, vector: [Float($0), 0, 1], label: "x") })

            let deleted = try await client.delete("/v1/collections/c")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(deleted.text == #"{"deleted":"c"}"#)
            #expect(!FileManager.default.fileExists(atPath: server.directory.appendingPathComponent("c").path))

            #expect(try await client.get("/v1/collections/c").status == 404)
            #expect(try await client.get("/v1/collections/c/points/1").status == 404)
            #expect(try await client.send(.POST, "/v1/collections/c/points", encoding: Upsert(points: [WirePoint(id: 9, vector: [1, 2, 3])])).status == 404)
            #expect(try await client.send(.POST, "/v1/collections/c/search", json: #"{"vector": [1, 2, 3]}"#).status == 404)
            let again = try await client.delete("/v1/collections/c")
            #expect(again.status == 404)
            #expect(try again.apiError().code == "not_found")

            let recreated = try await client.send(.PUT, "/v1/collections/c", json: #"{"dimension": 4, "metric": "cosine"}"#)
            #expect(recreated.status == 201, "\(recreated.text)")
            let info = try recreated.decode(WireCollection.self)
            #expect((info.count, info.dimension, info.metric) == (0, 4, "cosine"))
            #expect(try await client.point("c", 1) == nil)
            let search = try await client.send(.POST, "/v1/collections/c/search", json: #"{"vector": [1, 2, 3, 4], "exact": true}"#)
            #expect(try search.decode(WireResult.self).ids.isEmpty)
        }
    }

    @Test func collectionsSurviveARestart() async throws {
        let root = try TemporaryDirectory()
        let served = root.url.appendingPathComponent("served")
        try await withServer(directory: served) { _, client in
            try await client.createCollection("kept", dimension: 2)
            try await client.upsert("kept", [WirePoint(id: 7, vector: [0.5, -2], label: "seven")])
        }
        try await withServer(directory: served) { _, client in
            let list = try await client.get("/v1/collections").decode(WireCollectionList.self)
            #expect(list.collections.map(\.name) == ["kept"])
            #expect(try await client.point("kept", 7) == WirePoint(id: 7, vector: [0.5, -2], label: "seven"))
            #expect(try await client.get("/readyz").status == 200)
        }
    }
}
