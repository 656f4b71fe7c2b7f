import Foundation
import Testing

/// `POST .../search` and `.../search/batch` against answers computed by brute force in the test.
struct SearchRouteTests {
    static let dimension = 8
    static let points: [(id: UInt64, vector: [Float])] = Vectors.random(200, dimension: dimension, seed: 5)
        .enumerated().map { (id: UInt64($0.offset) * 3 + 1, vector: $0.element) }
    static let queries = Vectors.random(6, dimension: dimension, seed: 6)

    /// Labels by id parity, for the filter.
    static func label(_ id: UInt64) -> String { id % 2 == 0 ? "even" : "odd" }

    /// A collection "c" holding `points` under `metric`.
    static func load(_ client: TestClient, metric: String) async throws {
        try await client.createCollection("c", dimension: dimension, metric: metric)
        try await client.upsert("c", points.map { WirePoint(id: $0.id, vector: $0.vector, label: label($0.id)) })
    }

    static func search(_ client: TestClient, _ search: WireSearch) async throws -> WireResult {
        let reply = try await client.send(.POST, "/v1/collections/c/search", encoding: search)
        #expect(reply.status == 200, "\(reply.text)")
        return try reply.decode(WireResult.self)
    }

    static func expectMatches(_ result: WireResult, _ expected: [(id: UInt64, distance: Double)], _ note: String) {
        #expect(result.ids == expected.map(\.id), "\(note)")
        #expect(result.distances.count == expected.count, "\(note)")
        for (got, want) in zip(result.distances, expected) {
            #expect(abs(Double(got) - want) <= 1e-4 * max(1, abs(want)), "\(note): distance \(got), expected \(want)")
        }
        #expect(result.labels == result.ids.map { label($0) }, "\(note)")
    }

    @Test(arguments: ["l2", "cosine", "ip"])
    func resultsMatchBruteForce(metric: String) async throws {
        try await withServer { _, client in
            try await Self.load(client, metric: metric)
            for (index, query) in Self.queries.enumerated() {
                let expected = Vectors.nearest(to: query, in: Self.points, k: 10, metric: metric)
                let exact = try await Self.search(client, WireSearch(vector: query, k: 10, exact: true))
                Self.expectMatches(exact, expected, "\(metric) query \(index) exact")
                // a beam as wide as the collection visits every point: the graph answers exactly too
                let graph = try await Self.search(client, WireSearch(vector: query, k: 10, ef: 200))
                Self.expectMatches(graph, expected, "\(metric) query \(index) graph")
            }
        }
    }

    @Test func base64AndJSONVectorsGiveIdenticalResults() async throws {
        try await withServer { _, client in
            try await Self.load(client, metric: "l2")
            for query in Self.queries {
                for exact in [false, true] {
                    let json = try await client.send(.POST, "/v1/collections/c/search", encoding: WireSearch(vector: query, k: 7, exact: exact))
                    let base64 = try await client.send(
                        .POST, "/v1/collections/c/search", encoding: WireSearch(vectorB64: Base64Floats.encode(query), k: 7, exact: exact))
                    #expect(json.status == 200 && base64.status == 200)
                    #expect(json.body == base64.body, "\(json.text) vs \(base64.text)")
                    #expect(try json.decode(WireResult.self).ids.count == 7)
                }
            }
        }
    }

    @Test func labelFilterReturnsOnlyThatLabelNearestFirst() async throws {
        try await withServer { _, client in
            try await Self.load(client, metric: "l2")
            let evens = Self.points.filter { Self.label($0.id) == "even" }
            for (index, query) in Self.queries.enumerated() {
                let expected = Vectors.nearest(to: query, in: evens, k: 5, metric: "l2")
                for exact in [true, false] {
                    let result = try await Self.search(client, WireSearch(vector: query, k: 5, ef: 200, label: "even", exact: exact))
                    Self.expectMatches(result, expected, "query \(index) exact \(exact)")
                }
            }
            let none = try await Self.search(client, WireSearch(vector: Self.queries[0], k: 5, label: "nobody"))
            #expect(none.ids.isEmpty && none.distances.isEmpty && none.labels.isEmpty)
        }
    }

    @Test func kAndEfBoundsAreEnforced() async throws {
        try await withServer { _, client in
            try await Self.load(client, metric: "l2")
            let query = Self.queries[0]
            let all = try await Self.search(client, WireSearch(vector: query, k: 1_000, ef: 10_000, exact: false))
            #expect(all.ids.count == Self.points.count, "k above the count returns every point")
            #expect(all.distances == all.distances.sorted())
            let one = try await Self.search(client, WireSearch(vector: query, k: 1, ef: 1))
            #expect(one.ids.count == 1)
            let defaultK = try await Self.search(client, WireSearch(vector: query))
            #expect(defaultK.ids.count == 10, "k defaults to 10")

            for (search, field) in [
                (WireSearch(vector: query, k: 0), "k"), (WireSearch(vector: query, k: 1_001), "k"), (WireSearch(vector: query, k: -3), "k"),
                (WireSearch(vector: query, ef: 0), "ef"), (WireSearch(vector: query, ef: 10_001), "ef"),
            ] {
                let reply = try await client.send(.POST, "/v1/collections/c/search", encoding: search)
                #expect(reply.status == 400, "\(reply.text)")
                let error = try reply.apiError()
                #expect(error.code == "invalid_field")
                #expect(error.message.hasPrefix(field + ":"), "\(error.message)")
            }
        }
    }

    @Test func batchAnswersEachSearchAsAloneInOrder() async throws {
        try await withServer { _, client in
            try await Self.load(client, metric: "l2")
            let searches = Self.queries.enumerated().map { index, query in
                WireSearch(vector: query, k: 3 + index, label: index == 2 ? "odd" : nil, exact: index % 2 == 0)
            }
            let reply = try await client.send(.POST, "/v1/collections/c/search/batch", encoding: WireBatch(searches: searches))
            #expect(reply.status == 200, "\(reply.text)")
            let batch = try reply.decode(WireBatchResult.self).results
            #expect(batch.count == searches.count)
            for (index, search) in searches.enumerated() {
                let alone = try await Self.search(client, search)
                #expect(batch[index] == alone, "search \(index)")
                #expect(alone.ids.count == 3 + index)
            }

            let empty = try await client.send(.POST, "/v1/collections/c/search/batch", json: #"{"searches": []}"#)
            #expect(empty.status == 400)
            #expect(try empty.apiError().message.hasPrefix("searches"))
            let tooMany = WireBatch(searches: Array(repeating: WireSearch(vector: Self.queries[0], k: 1), count: 1_001))
            let over = try await client.send(.POST, "/v1/collections/c/search/batch", encoding: tooMany)
            #expect(over.status == 400)
            #expect(try over.apiError().message.hasPrefix("searches"))
            let bad = WireBatch(searches: [WireSearch(vector: Self.queries[0]), WireSearch(vector: [1, 2])])
            let wrongDimension = try await client.send(.POST, "/v1/collections/c/search/batch", encoding: bad)
            #expect(wrongDimension.status == 400)
            #expect(try wrongDimension.apiError().message.hasPrefix("searches[1].vector"))
            let badK = WireBatch(searches: [WireSearch(vector: Self.queries[0]), WireSearch(vector: Self.queries[0], k: 0)])
            let kOutOfRange = try await client.send(.POST, "/v1/collections/c/search/batch", encoding: badK)
            #expect(kOutOfRange.status == 400)
            #expect(try kOutOfRange.apiError().message.hasPrefix("searches[1].k"))
        }
    }
}
