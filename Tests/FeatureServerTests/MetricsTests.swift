import AsyncHTTPClient
import Foundation
import Testing

/// `/metrics` (through swift-prometheus), the recall canary and `/dashboard/data`, against a
/// real `fmdb serve`.
@Suite struct MetricsTests {
    /// Upserts `count` random points of `dimension` values into collection `name`, made first.
    static func fill(_ client: TestClient, _ name: String, count: Int, dimension: Int, seed: UInt64) async throws -> [[Float]] {
        #expect(try await client.createCollection(name, dimension: dimension).status == 201)
        let vectors = Vectors.random(count, dimension: dimension, seed: seed)
        for start in stride(from: 0, to: count, by: 500) {
            let points = (start..<min(start + 500, count)).map { WirePoint(id: UInt64($0), vector: vectors[$0]) }
            try await client.upsert(name, points)
        }
        return vectors
    }

    @Test func requestsAreCountedByRoutePatternMethodAndStatusWithBoundedLabels() async throws {
        try await withServer { _, client in
            _ = try await Self.fill(client, "a", count: 10, dimension: 4, seed: 1)
            for id in [1, 2, 99] { _ = try await client.get("/v1/collections/a/points/\(id)") }
            _ = try await client.get("/no/such/route/\(UUID().uuidString)")
            _ = try await client.send(.RAW(value: "BREW"), "/v1/collections")
            let route = "/v1/collections/{name}/points/{id}"
            #expect(try await client.metric(#"featurememory_http_requests_total{route="\#(route)",method="GET",status="200"}"#) == 2)
            #expect(try await client.metric(#"featurememory_http_requests_total{route="\#(route)",method="GET",status="404"}"#) == 1)
            #expect(try await client.metric(#"featurememory_http_request_duration_seconds_count{route="\#(route)"}"#) == 3)
            #expect(try await client.metric(#"featurememory_http_requests_total{route="unmatched",method="GET",status="404"}"#) == 1)
            let text = try await client.get("/metrics").text
            // no path, id or method a client made up becomes a label value
            #expect(!text.contains("no/such/route"))
            #expect(!text.contains("BREW"))
            #expect(!text.contains("points/99"))
        }
    }

    @Test func collectionProcessAndDiskSeriesAreThereAndGoWithADeletedCollection() async throws {
        try await withServer { _, client in
            _ = try await Self.fill(client, "a", count: 300, dimension: 8, seed: 2)
            for index in 0..<5 {
                _ = try await client.send(.POST, "/v1/collections/a/search", encoding: WireSearch(vector: Vectors.random(1, dimension: 8, seed: UInt64(index))[0], k: 5))
            }
            #expect(try await client.metric(#"featurememory_collection_vectors{collection="a"}"#) == 300)
            #expect(try await client.metricValue(#"featurememory_collection_store_bytes{collection="a"}"#) > 0)
            let used = try await client.metricValue(#"featurememory_collection_map_used_bytes{collection="a"}"#)
            #expect(used > 0)
            #expect(try await client.metricValue(#"featurememory_collection_map_cap_bytes{collection="a"}"#) >= used)
            #expect(try await client.metric(#"featurememory_commits_total{collection="a"}"#) >= 1)
            #expect(try await client.metric(#"featurememory_search_duration_seconds_count{collection="a"}"#) >= 1)
            #expect(try await client.metricValue(#"featurememory_search_visited_nodes_sum{collection="a"}"#) > 0)
            #expect(try await client.metric(#"featurememory_cache_lookups_total{collection="a"}"#) > 0)
            let hitRatio = try await client.metricValue(#"featurememory_cache_hit_ratio{collection="a"}"#)
            #expect((0...1).contains(hitRatio))
            #expect(try await client.metricValue("process_resident_memory_bytes") > 1_000_000)
            #expect(try await client.metricValue("process_open_fds") > 3)
            #expect(try await client.metricValue("process_start_time_seconds") > 1_600_000_000)
            #expect(try await client.metricValue("featurememory_disk_total_bytes") >= client.metricValue("featurememory_disk_free_bytes"))
            #expect(try await client.metric("featurememory_ready") == 1)

            #expect(try await client.delete("/v1/collections/a").status == 200)
            let text = try await client.get("/metrics").text
            #expect(!text.contains(#"collection="a""#), "a deleted collection's series stay: \(text)")
            // made again under the same name, it starts from zero
            _ = try await Self.fill(client, "a", count: 3, dimension: 8, seed: 3)
            #expect(try await client.metric(#"featurememory_points_upserted_total{collection="a"}"#) == 3)
        }
    }

    @Test func withoutMetricsTheRoutesAre404AndSearchesStillWork() async throws {
        try await withServer(["--no-metrics"]) { _, client in
            let vectors = try await Self.fill(client, "a", count: 20, dimension: 4, seed: 4)
            #expect(try await client.get("/metrics").status == 404)
            #expect(try await client.get("/dashboard/data").status == 404)
            #expect(try await client.get("/dashboard").status == 404)
            let reply = try await client.send(.POST, "/v1/collections/a/search", encoding: WireSearch(vector: vectors[3], k: 1))
            #expect(try reply.decode(WireResult.self).ids == [3])
        }
    }

    /// The canary's estimate against the recall of the same searches measured here, at a
    /// generous ef and at a deliberately small one (the server's --ef).
    @Test(arguments: [nil, 10] as [Int?])
    func theRecallCanaryAgreesWithMeasuredRecallAndFallsWithASmallEf(ef: Int?) async throws {
        let arguments = ["--recall-canary", "0.05", "--recall-canary-cpu", "60"] + (ef.map { ["--ef", "\($0)"] } ?? [])
        try await withServer(arguments) { _, client in
            let vectors = try await Self.fill(client, "a", count: 3_000, dimension: 32, seed: 5)
            let queries = Vectors.random(200, dimension: 32, seed: 6)
            let points = vectors.enumerated().map { (id: UInt64($0.offset), vector: $0.element) }
            var measured = 0.0
            for query in queries {
                let found = try await client.send(.POST, "/v1/collections/a/search", encoding: WireSearch(vector: query, k: 10)).decode(WireResult.self)
                let truth = Set(Vectors.nearest(to: query, in: points, k: 10, metric: "l2").map(\.id))
                measured += Double(found.ids.filter { truth.contains($0) }.count) / 10
                // a pause now and then lets the canary take the next queries
                try await Task.sleep(for: .milliseconds(10))
            }
            measured /= Double(queries.count)
            var estimate = 0.0, sampleSize = 0
            for _ in 0..<100 {
                if try await client.hasMetric(#"featurememory_recall_sample_size{collection="a"}"#) {
                    sampleSize = try await client.metric(#"featurememory_recall_sample_size{collection="a"}"#)
                    estimate = try await client.metricValue(#"featurememory_recall_estimate{collection="a"}"#)
                    if sampleSize >= 60 { break }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sampleSize >= 60, "the canary checked \(sampleSize) queries")
            #expect(abs(estimate - measured) < 0.06, "canary \(estimate) against measured \(measured) over \(sampleSize)")
            if ef == nil { #expect(measured > 0.9) } else { #expect(measured < 0.9) }
        }
    }

    @Test func dashboardDataHoldsSamplesWithNullsForWhatHasNoDataYet() async throws {
        try await withServer { _, client in
            _ = try await Self.fill(client, "a", count: 50, dimension: 4, seed: 7)
            try await Task.sleep(for: .milliseconds(4_500))
            let reply = try await client.get("/dashboard/data")
            #expect(reply.status == 200)
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
            #expect(answer["interval_seconds"] as? Double == 2)
            let samples = try #require(answer["samples"] as? [[String: Any]])
            #expect(samples.count >= 1)
            let last = try #require(samples.last)
            for key in ["t", "requests_per_second", "p50_ms", "p99_ms", "error_ratio", "cache_hit_ratio", "resident_bytes", "collections"] {
                #expect(last.keys.contains(key), "\(key) missing from \(last)")
            }
            let collection = try #require((last["collections"] as? [String: Any])?["a"] as? [String: Any])
            #expect(collection["vectors"] as? Int == 50)
            // no canary check has run yet: the estimate is null, not 0
            #expect(collection["recall_estimate"] is NSNull)
        }
    }
}
