import Foundation
import Testing

/// Every kind of bad request gets its status, `{"error": {"code", "message"}}` with the field
/// named, and leaves the store exactly as it was.
struct BadInputTests {
    /// A bad request and what the answer must say.
    struct Case: CustomTestStringConvertible, Sendable {
        var body: String
        var status = 400
        var code = "invalid_field"
        /// How the message starts: the field it names.
        var field: String
        var testDescription: String { "\(field): \(body.prefix(80))" }
    }

    static let nan = Base64Floats.encode([1, .nan, 3])
    static let infinity = Base64Floats.encode([-.infinity, 2, 3])

    static let upsertCases: [Case] = [
        Case(body: #"{"points": ["#, code: "invalid_json", field: "the body"),
        Case(body: "not json", code: "invalid_json", field: "the body"),
        Case(body: "", code: "invalid_json", field: "the body"),
        Case(body: #"[]"#, field: "body"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2]}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3]}, {"id": 1, "vector": [1, 2, 3, 4]}]}"#, field: "points[1].vector"),
        Case(body: #"{"points": [{"id": 50, "vector_b64": "\#(nan)"}]}"#, field: "points[0].vector_b64[1]"),
        Case(body: #"{"points": [{"id": 1, "vector_b64": "\#(infinity)"}]}"#, field: "points[0].vector_b64[0]"),
        Case(body: #"{"points": [{"id": 50, "vector_b64": "AAAA"}]}"#, field: "points[0].vector_b64"),
        Case(body: #"{"points": [{"id": 50, "vector_b64": "!!"}]}"#, field: "points[0].vector_b64"),
        Case(body: #"{"points": [{"id": 50, "vector": [Infinity, 2, 3]}]}"#, code: "invalid_json", field: "the body"),
        Case(body: #"{"points": [{"id": 50, "vector": [1e39, 2, 3]}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": [{"id": 1, "vector": [1, -3.5e38, 3]}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": []}"#, field: "points"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3], "colour": "red"}]}"#, field: "points[0].colour"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3]}], "upsert": true}"#, field: "upsert"),
        Case(body: #"{"points": [{"id": "50", "vector": [1, 2, 3]}]}"#, field: "points[0].id"),
        Case(body: #"{"points": [{"id": -1, "vector": [1, 2, 3]}]}"#, field: "points[0].id"),
        Case(body: #"{"points": [{"id": 1.5, "vector": [1, 2, 3]}]}"#, field: "points[0].id"),
        Case(body: #"{"points": [{"id": 18446744073709551616, "vector": [1, 2, 3]}]}"#, field: "points[0].id"),
        Case(body: #"{"points": [{"vector": [1, 2, 3]}]}"#, field: "points[0].id"),
        Case(body: #"{"points": [{"id": 50, "vector": "1,2,3"}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, "2", 3]}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": [{"id": 50}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3], "vector_b64": "AACAPwAAAEAAAEBA"}]}"#, field: "points[0].vector"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3], "label": ""}]}"#, field: "points[0].label"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3], "label": "\#(String(repeating: "é", count: 128))"}]}"#, field: "points[0].label"),
        Case(body: #"{"points": [{"id": 50, "vector": [1, 2, 3], "label": 7}]}"#, field: "points[0].label"),
        Case(body: #"{"points": {"id": 50}}"#, field: "points"),
        Case(body: #"{"points": null}"#, field: "points"),
        Case(body: #"{}"#, field: "points"),
    ]

    /// Points 1…3 in a 3-d l2 collection "c", and what a failed write must leave.
    static func seed(_ client: TestClient) async throws -> (count: Int, points: [WirePoint]) {
        try await client.createCollection("c", dimension: 3)
        try await client.upsert("c", [
            WirePoint(id: 1, vector: [1, 0, 0], label: "one"), WirePoint(id: 2, vector: [0, 2, 0]), WirePoint(id: 3, vector: [0, 0, 3], label: "three"),
        ])
        return (try await client.count("c"), try await client.snapshot("c", ids: [1, 2, 3, 50]))
    }

    static func expectUnchanged(_ client: TestClient, _ before: (count: Int, points: [WirePoint]), _ note: String) async throws {
        #expect(try await client.count("c") == before.count, "\(note)")
        #expect(try await client.snapshot("c", ids: [1, 2, 3, 50]) == before.points, "\(note)")
    }

    static func expectRefused(_ reply: Reply, _ expected: Case) throws {
        #expect(reply.status == expected.status, "\(expected.testDescription): \(reply.text)")
        let error = try reply.apiError()
        #expect(error.code == expected.code, "\(expected.testDescription): \(reply.text)")
        #expect(error.message.hasPrefix(expected.field), "\(expected.testDescription): \(error.message)")
    }

    @Test func badUpsertsAre400NamingTheFieldAndChangeNothing() async throws {
        try await withServer { _, client in
            let before = try await Self.seed(client)
            for bad in Self.upsertCases {
                try Self.expectRefused(try await client.send(.POST, "/v1/collections/c/points", json: bad.body), bad)
                try await Self.expectUnchanged(client, before, bad.testDescription)
            }
        }
    }

    @Test func tenThousandAndOnePointsAreRefusedAndTenThousandAccepted() async throws {
        try await withServer { _, client in
            let before = try await Self.seed(client)
            let tooMany = (0...10_000).map { WirePoint(id: UInt64($0) + 100, vector: [Float($0), 1, 2]) }
            try Self.expectRefused(
                try await client.send(.POST, "/v1/collections/c/points", encoding: Upsert(points: tooMany)), Case(body: "10,001 points", field: "points"))
            try await Self.expectUnchanged(client, before, "10,001 points")
            try await client.upsert("c", Array(tooMany.prefix(10_000)))
            #expect(try await client.count("c") == before.count + 10_000)
        }
    }

    @Test func aZeroVectorInACosineCollectionIsRefusedWholeRequest() async throws {
        try await withServer { _, client in
            try await client.createCollection("c", dimension: 3, metric: "cosine")
            try await client.upsert("c", [WirePoint(id: 1, vector: [1, 0, 0])])
            let reply = try await client.send(.POST, "/v1/collections/c/points", encoding: Upsert(points: [
                WirePoint(id: 2, vector: [0, 1, 0]), WirePoint(id: 1, vector: [0, 0, 1]), WirePoint(id: 3, vector: [0, 0, 0]),
            ]))
            try Self.expectRefused(reply, Case(body: "zero vector", field: "points[2]"))
            #expect(try await client.count("c") == 1)
            #expect(try await client.point("c", 1) == WirePoint(id: 1, vector: [1, 0, 0]), "all or nothing: point 1 keeps its vector")
        }
    }

    @Test func badSearchesAre400NamingTheField() async throws {
        try await withServer { _, client in
            _ = try await Self.seed(client)
            let cases = [
                Case(body: #"{"vector": [1, 2]}"#, field: "vector"),
                Case(body: #"{"vector_b64": "\#(nan)"}"#, field: "vector_b64[1]"),
                Case(body: #"{"vector": [1, 2, 1e40]}"#, field: "vector"),
                Case(body: #"{"vector": [1, 2, 3], "k": "ten"}"#, field: "k"),
                Case(body: #"{"vector": [1, 2, 3], "k": 2.5}"#, field: "k"),
                Case(body: #"{"vector": [1, 2, 3], "ef": true}"#, field: "ef"),
                Case(body: #"{"vector": [1, 2, 3], "exact": "yes"}"#, field: "exact"),
                Case(body: #"{"vector": [1, 2, 3], "label": 3}"#, field: "label"),
                Case(body: #"{"vector": [1, 2, 3], "top_k": 3}"#, field: "top_k"),
                Case(body: #"{"k": 3}"#, field: "vector"),
                Case(body: #"{"vector": [1, 2, 3]"#, code: "invalid_json", field: "the body"),
            ]
            for bad in cases {
                try Self.expectRefused(try await client.send(.POST, "/v1/collections/c/search", json: bad.body), bad)
            }
        }
    }

    @Test func badDeletesAndCollectionSettingsAre400AndChangeNothing() async throws {
        try await withServer { _, client in
            let before = try await Self.seed(client)
            let deletes = [
                Case(body: #"{"ids": []}"#, field: "ids"), Case(body: #"{"ids": [1, "2"]}"#, field: "ids[1]"),
                Case(body: #"{"ids": [1, -2]}"#, field: "ids[1]"), Case(body: #"{"ids": 1}"#, field: "ids"),
                Case(body: #"{"id": [1]}"#, field: "id"),
                Case(body: "{\"ids\": [\((0...10_000).map(String.init).joined(separator: ","))]}", field: "ids"),
            ]
            for bad in deletes {
                try Self.expectRefused(try await client.send(.POST, "/v1/collections/c/points/delete", json: bad.body), bad)
                try await Self.expectUnchanged(client, before, bad.testDescription)
            }
            let settings = [
                Case(body: #"{"dimension": 0}"#, field: "dimension"), Case(body: #"{"dimension": 65537}"#, field: "dimension"),
                Case(body: #"{"dimension": "3"}"#, field: "dimension"), Case(body: #"{}"#, field: "dimension"),
                Case(body: #"{"dimension": 3, "metric": "euclid"}"#, field: "metric"), Case(body: #"{"dimension": 3, "m": 1}"#, field: "m"),
                Case(body: #"{"dimension": 3, "m": 129}"#, field: "m"), Case(body: #"{"dimension": 3, "ef_construction": 0}"#, field: "ef_construction"),
                Case(body: #"{"dimension": 3, "efConstruction": 100}"#, field: "efConstruction"),
                Case(body: #"{"dimension": 3"#, code: "invalid_json", field: "the body"),
            ]
            for bad in settings {
                try Self.expectRefused(try await client.send(.PUT, "/v1/collections/d", json: bad.body), bad)
            }
            #expect(try await client.get("/v1/collections/d").status == 404, "no refused collection was created")
            #expect(try await client.get("/v1/collections").decode(WireCollectionList.self).collections.map(\.name) == ["c"])
        }
    }

    @Test func wrongContentTypeIs415AndUnknownCollectionsOrIds404() async throws {
        try await withServer { _, client in
            let before = try await Self.seed(client)
            let upsert = Data(#"{"points": [{"id": 50, "vector": [1, 2, 3]}]}"#.utf8)
            for type in ["text/plain", "application/x-www-form-urlencoded", "audio/wav", nil] as [String?] {
                for path in ["/v1/collections/c/points", "/v1/collections/c/search", "/v1/collections/c/points/delete"] {
                    let reply = try await client.send(.POST, path, body: upsert, contentType: type)
                    #expect(reply.status == 415, "\(path) \(type ?? "none"): \(reply.text)")
                    #expect(try reply.apiError().code == "unsupported_media_type")
                }
            }
            let charset = try await client.send(.POST, "/v1/collections/c/search", body: Data(#"{"vector": [1, 2, 3]}"#.utf8),
                                                contentType: "application/json; charset=utf-8")
            #expect(charset.status == 200, "parameters of the media type are fine: \(charset.text)")
            try await Self.expectUnchanged(client, before, "415")

            for (method, path, body) in [
                ("POST", "/v1/collections/nope/points", #"{"points": [{"id": 50, "vector": [1, 2, 3]}]}"#),
                ("POST", "/v1/collections/nope/search", #"{"vector": [1, 2, 3]}"#),
                ("POST", "/v1/collections/nope/search/batch", #"{"searches": [{"vector": [1, 2, 3]}]}"#),
                ("POST", "/v1/collections/nope/points/delete", #"{"ids": [1]}"#),
                ("GET", "/v1/collections/nope/points/1", nil), ("DELETE", "/v1/collections/nope", nil),
                ("GET", "/v1/collections/c/points/77", nil), ("DELETE", "/v1/collections/c/points/77", nil),
            ] as [(String, String, String?)] {
                let reply = try await client.send(.init(rawValue: method), path, body: body.map { Data($0.utf8) })
                #expect(reply.status == 404, "\(method) \(path): \(reply.text)")
                #expect(try reply.apiError().code == "not_found")
            }
            #expect(try await client.get("/v1/collections/nope").status == 404)
        }
    }
}
