import Foundation
import Testing

/// Concurrent writers share transactions (group commit) and each still gets exactly its own
/// outcome: every acknowledged point is stored, and a bad request fails alone.
struct GroupCommitTests {
    static let dimension = 4

    /// The vector of point `id`: distinct per id, never zero.
    static func vector(_ id: UInt64) -> [Float] {
        [Float(id % 97) + 1, Float(id / 97) * 0.5, Float(id) * 0.25, -Float(id % 13) - 0.125]
    }

    /// `writers` clients each upserting `perWriter` single points one after another; returns the
    /// statuses by id.
    static func write(_ client: TestClient, writers: Int, perWriter: Int, bad: UInt64? = nil) async throws -> [UInt64: Int] {
        try await withThrowingTaskGroup(of: [(UInt64, Int)].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var statuses: [(UInt64, Int)] = []
                    for index in 0..<perWriter {
                        let id = UInt64(writer * 1_000 + index)
                        // a zero vector passes the request checks and fails inside the transaction,
                        // where it shares a group with the others
                        let values = id == bad ? [Float](repeating: 0, count: dimension) : vector(id)
                        let reply = try await client.send(.POST, "/v1/collections/c/points", encoding: Upsert(points: [WirePoint(id: id, vector: values)]))
                        statuses.append((id, reply.status))
                    }
                    return statuses
                }
            }
            var all: [UInt64: Int] = [:]
            for try await statuses in group { for (id, status) in statuses { all[id] = status } }
            return all
        }
    }

    /// Reads every id back, eight requests at a time; returns the ids whose vector is not exact.
    static func missing(_ client: TestClient, ids: [UInt64]) async throws -> [UInt64] {
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var wrong: [UInt64] = []
                    for id in ids.enumerated().filter({ $0.offset % 8 == lane }).map(\.element) {
                        if try await client.point("c", id)?.vector != vector(id) { wrong.append(id) }
                    }
                    return wrong
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
    }

    @Test func concurrentWritersAllLandAndShareTransactions() async throws {
        try await withServer(connections: 64) { _, client in
            try await client.createCollection("c", dimension: Self.dimension)
            let statuses = try await Self.write(client, writers: 64, perWriter: 20)
            #expect(statuses.count == 1_280)
            #expect(statuses.values.allSatisfy { $0 == 200 }, "\(Set(statuses.values))")
            #expect(try await client.count("c") == 1_280)
            #expect(try await Self.missing(client, ids: Array(statuses.keys)).isEmpty)

            let requests = try await client.metric(#"featurememory_group_commit_requests_sum{collection="c"}"#)
            let transactions = try await client.metric(#"featurememory_commits_total{collection="c"}"#)
            #expect(requests == 1_280)
            #expect(transactions < requests, "\(transactions) transactions for \(requests) requests: no grouping")
            #expect(transactions > 0)
        }
    }

    @Test func aBadRequestInAGroupFailsAloneAndTheOthersLand() async throws {
        try await withServer(connections: 32) { _, client in
            try await client.createCollection("c", dimension: Self.dimension, metric: "cosine")
            let bad: UInt64 = 7_005
            let statuses = try await Self.write(client, writers: 32, perWriter: 10, bad: bad)
            #expect(statuses[bad] == 400)
            let good = statuses.filter { $0.key != bad }
            #expect(good.count == 319)
            #expect(good.values.allSatisfy { $0 == 200 }, "\(Set(good.values))")
            #expect(try await client.count("c") == 319)
            #expect(try await client.point("c", bad) == nil)
            #expect(try await Self.missing(client, ids: Array(good.keys)).isEmpty)
            #expect(try await client.metric(#"featurememory_group_commit_requests_sum{collection="c"}"#) == 319)
        }
    }

    @Test func withoutGroupCommitEachRequestHasItsOwnTransaction() async throws {
        try await withServer(["--no-group-commit"], connections: 16) { _, client in
            try await client.createCollection("c", dimension: Self.dimension)
            let statuses = try await Self.write(client, writers: 16, perWriter: 10)
            #expect(statuses.values.allSatisfy { $0 == 200 })
            #expect(try await client.count("c") == 160)
            #expect(try await Self.missing(client, ids: Array(statuses.keys)).isEmpty)
            let requests = try await client.metric(#"featurememory_group_commit_requests_sum{collection="c"}"#)
            let transactions = try await client.metric(#"featurememory_commits_total{collection="c"}"#)
            #expect(requests == 160)
            #expect(transactions == requests)
        }
    }
}
