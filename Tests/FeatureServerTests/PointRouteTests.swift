import Foundation
import Testing

/// Upserts, reads and deletes of points on a real server.
struct PointRouteTests {
    @Test func upsertThenGetReturnsTheExactVectorAndLabel() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 4)
            let vectors = Vectors.random(3, dimension: 4, seed: 11)
            try await client.upsert("c", [
                WirePoint(id: 0, vector: vectors[0], label: "zero"),
                WirePoint(id: UInt64.max, base64Of: vectors[1], label: "größte"),
                WirePoint(id: 42, vector: vectors[2]),
            ])
            #expect(try await client.point("c", 0) == WirePoint(id: 0, vector: vectors[0], label: "zero"))
            #expect(try await client.point("c", UInt64.max) == WirePoint(id: UInt64.max, vector: vectors[1], label: "größte"))
            let unlabelled = try await client.get("/v1/collections/c/points/42")
            #expect(unlabelled.text.contains(#""label":null"#), "a missing label is null, not absent: \(unlabelled.text)")
            #expect(try unlabelled.decode(WirePoint.self) == WirePoint(id: 42, vector: vectors[2]))
            #expect(try await client.count("c") == 3)
        }
    }

    @Test func duplicateIdsInOneRequestLastWins() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 2)
            let reply = try await client.send(.POST, "/v1/collections/c/points", encoding: Upsert(points: [
                WirePoint(id: 1, vector: [1, 1], label: "first"),
                WirePoint(id: 2, vector: [2, 2]),
                WirePoint(id: 1, vector: [3, 3], label: "last"),
            ]))
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try await client.point("c", 1) == WirePoint(id: 1, vector: [3, 3], label: "last"))
            #expect(try await client.point("c", 2) == WirePoint(id: 2, vector: [2, 2]))
            #expect(try await client.count("c") == 2)
            // the old vector is gone from the index too: an exact search for it finds the new one
            let search = try await client.send(.POST, "/v1/collections/c/search", json: #"{"vector": [1, 1], "k": 1, "exact": true}"#)
            #expect(try search.decode(WireResult.self).ids == [2])
        }
    }

    @Test func upsertOfExistingIdsReplacesVectorAndLabel() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 3)
            try await client.upsert("c", [WirePoint(id: 5, vector: [1, 0, 0], label: "old"), WirePoint(id: 6, vector: [0, 1, 0], label: "keep")])
            try await client.upsert("c", [WirePoint(id: 5, vector: [0, 0, 9], label: "new")])
            #expect(try await client.point("c", 5) == WirePoint(id: 5, vector: [0, 0, 9], label: "new"))
            #expect(try await client.point("c", 6) == WirePoint(id: 6, vector: [0, 1, 0], label: "keep"))
            #expect(try await client.count("c") == 2)
            let old = try await client.send(.POST, "/v1/collections/c/search", json: #"{"vector": [1, 0, 0], "k": 5, "label": "old"}"#)
            #expect(try old.decode(WireResult.self).ids.isEmpty, "the old label is gone")
            let new = try await client.send(.POST, "/v1/collections/c/search", json: #"{"vector": [1, 0, 0], "k": 5, "label": "new"}"#)
            #expect(try new.decode(WireResult.self).ids == [5])
        }
    }

    @Test func deleteOneThenItIs404() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 2)
            try await client.upsert("c", [WirePoint(id: 1, vector: [1, 2]), WirePoint(id: 2, vector: [3, 4])])
            let deleted = try await client.delete("/v1/collections/c/points/1")
            #expect(deleted.status == 200)
            #expect(try deleted.decode(Deleted.self).deleted == 1)
            let get = try await client.get("/v1/collections/c/points/1")
            #expect(get.status == 404)
            #expect(try get.apiError().code == "not_found")
            let again = try await client.delete("/v1/collections/c/points/1")
            #expect(again.status == 404)
            #expect(try again.apiError().message.contains("1"))
            #expect(try await client.point("c", 2) == WirePoint(id: 2, vector: [3, 4]))
            #expect(try await client.count("c") == 1)
        }
    }

    @Test func batchDeleteCountsOnlyThePointsThatExisted() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 2)
            try await client.upsert("c", (1...5).map { WirePoint(id: $0, vector: [Float($0), 1]) })
            let reply = try await client.send(.POST, "/v1/collections/c/points/delete", json: #"{"ids": [2, 4, 99, 2, 18446744073709551615]}"#)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try reply.decode(Deleted.self).deleted == 2)
            #expect(try await client.count("c") == 3)
            #expect(try await client.snapshot("c", ids: 1...5).map(\.id) == [1, 3, 5])
            let none = try await client.send(.POST, "/v1/collections/c/points/delete", json: #"{"ids": [2, 4]}"#)
            #expect(try none.decode(Deleted.self).deleted == 0)
        }
    }

    @Test func badIdsInThePathAre400AndUnknownOnes404() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 2)
            for id in ["abc", "-1", "18446744073709551616", "1.5"] {
                let reply = try await client.get("/v1/collections/c/points/\(id)")
                #expect(reply.status == 400, "\(id): \(reply.text)")
                #expect(try reply.apiError().message.hasPrefix("id"), "\(id)")
                #expect(try await client.delete("/v1/collections/c/points/\(id)").status == 400)
            }
            #expect(try await client.get("/v1/collections/c/points/7").status == 404)
            #expect(try await client.get("/v1/collections/other/points/7").status == 404)
            #expect(try await client.delete("/v1/collections/other/points/7").status == 404)
        }
    }
}
