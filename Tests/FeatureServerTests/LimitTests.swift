import Foundation
import NIOHTTP1
import Testing

/// The server's limits: body size, header time, open connections and requests waiting.
struct LimitTests {
    @Test func aBodyOverTheLimitIs413AndChangesNothing() async throws {
        try await withServer(["--max-body-mb", "1"]) { server, client in
            try await client.createCollection("c", dimension: 3)
            try await client.upsert("c", [WirePoint(id: 1, vector: [1, 2, 3])])
            let padding = String(repeating: " ", count: 1_100_000)
            let big = #"{"points": [{"id": 2, "vector": [4, 5, 6]}]\#(padding)}"#

            let reply = try await client.send(.POST, "/v1/collections/c/points", json: big)
            #expect(reply.status == 413, "\(reply.text)")
            #expect(try reply.apiError().code == "payload_too_large")

            // without Content-Length (chunked), the limit holds as the body arrives
            let connection = try RawConnection(port: server.port)
            connection.send("POST /v1/collections/c/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            let piece = String(repeating: " ", count: 65_536)
            for _ in 0..<20 where connection.send(String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n") {}
            let chunked = try #require(connection.receiveResponse(timeout: .seconds(20)), "no answer to a chunked body over the limit")
            #expect(chunked.status == 413, "\(String(decoding: chunked.body, as: UTF8.self))")
            #expect(try chunked.reply.apiError().code == "payload_too_large")

            #expect(try await client.count("c") == 1)
            #expect(try await client.point("c", 2) == nil)
            let small = #"{"points": [{"id": 2, "vector": [4, 5, 6]}]\#(String(repeating: " ", count: 900_000))}"#
            #expect(try await client.send(.POST, "/v1/collections/c/points", json: small).status == 200, "under the limit is fine")
        }
    }

    @Test func aContentLengthOverTheLimitIsAnsweredBeforeTheBodyIsSent() async throws {
        try await withServer(["--max-body-mb", "1"]) { server, client in
            try await client.createCollection("c", dimension: 3)
            for path in ["/v1/collections/c/points", "/v1/collections/c/search", "/v1/collections/c/learn?label=a"] {
                let connection = try RawConnection(port: server.port)
                let type = path.contains("learn") ? "audio/wav" : "application/json"
                connection.send("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(type)\r\nContent-Length: 2000000\r\n\r\n")
                let response = try #require(connection.receiveResponse(timeout: .seconds(10)), "\(path): no answer while the body is unsent")
                #expect(response.status == 413, "\(path)")
                #expect(try response.reply.apiError().code == "payload_too_large")
            }
            #expect(try await client.count("c") == 0)
        }
    }

    @Test func headersThatDoNotArriveInTimeCloseTheConnection() async throws {
        try await withServer { server, client in
            let connection = try RawConnection(port: server.port)
            let clock = ContinuousClock()
            let start = clock.now
            connection.send("GET /healthz HT")
            let (data, closed) = connection.receive(timeout: .seconds(20))
            let elapsed = clock.now - start
            #expect(closed, "the server kept a connection with half a request line for 20 s")
            #expect(elapsed >= .seconds(9) && elapsed <= .seconds(14), "closed after \(elapsed); the header timeout is 10 s")
            #expect(!String(decoding: data, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(try await client.metric("featurememory_http_header_timeouts_total") == 1)
            #expect(try await client.get("/healthz").status == 200)
        }
    }

    @Test func connectionsPastTheLimitAreClosedAtOnceWhileTheOthersAreServed() async throws {
        try await withServer(["--max-connections", "5"]) { server, _ in
            let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            var open: [RawConnection] = []
            for _ in 0..<5 {
                let connection = try RawConnection(port: server.port)
                connection.send(request)
                // answered: the server has counted this connection before the next one opens
                #expect(connection.receiveResponse(timeout: .seconds(10))?.status == 200)
                open.append(connection)
            }
            let clock = ContinuousClock()
            let start = clock.now
            let sixth = try RawConnection(port: server.port)
            sixth.send(request)
            let (data, closed) = sixth.receive(timeout: .seconds(5))
            #expect(closed, "the sixth connection stayed open")
            #expect(clock.now - start < .seconds(3), "closed only after \(clock.now - start)")
            #expect(data.isEmpty, "the sixth connection was served: \(String(decoding: data, as: UTF8.self))")

            for connection in open {
                connection.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let response = connection.receiveResponse(timeout: .seconds(10))
                #expect(response?.status == 200)
                #expect(response.map { String(decoding: $0.body, as: UTF8.self).contains("featurememory_http_connections_refused_total 1") } == true)
            }
            open.removeLast()
            // a freed place is taken again: give the server a bounded moment to see the close
            var served = false
            for _ in 0..<50 where !served {
                let again = try RawConnection(port: server.port)
                again.send(request)
                served = again.receiveResponse(timeout: .seconds(2))?.status == 200
                if !served { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(served, "a connection closed by its client still counts against the limit")
        }
    }

    @Test func tooManyRequestsWaitingGet503WithRetryAfter() async throws {
        try await withServer(["--max-queue", "1"], connections: 24) { _, client in
            try await client.createCollection("c", dimension: 32)
            let vectors = Vectors.random(2_000, dimension: 32, seed: 3)
            try await client.upsert("c", vectors.enumerated().map { WirePoint(id: UInt64($0.offset), vector: $0.element) })
            let batch = WireBatch(searches: Vectors.random(300, dimension: 32, seed: 4).map { WireSearch(vector: $0, k: 10, exact: true) })
            let body = try JSONEncoder().encode(batch)

            var replies: [Reply] = []
            // bounded: a round of 24 concurrent slow searches overloads a queue of one at once in
            // practice; three rounds leave room for a machine that is busy elsewhere
            for _ in 0..<3 where !replies.contains(where: { $0.status == 503 }) {
                replies += try await withThrowingTaskGroup(of: Reply.self) { group in
                    for _ in 0..<24 { group.addTask { try await client.send(.POST, "/v1/collections/c/search/batch", body: body) } }
                    return try await group.reduce(into: [Reply]()) { $0.append($1) }
                }
            }
            let overloaded = replies.filter { $0.status == 503 }
            #expect(!overloaded.isEmpty, "no request was refused with a queue of one")
            #expect(replies.contains { $0.status == 200 })
            #expect(replies.allSatisfy { [200, 503].contains($0.status) }, "\(replies.map(\.status))")
            for reply in overloaded {
                #expect(reply.headers.first(name: "Retry-After") == "1")
                #expect(try reply.apiError().code == "overloaded")
            }
            #expect(try await client.metric("featurememory_http_overloaded_total") == overloaded.count)
        }
    }

    @Test func monitoringRoutesAreAnsweredWhileTheQueueIsFull() async throws {
        try await withServer(["--max-queue", "1"], connections: 24) { _, client in
            try await client.createCollection("c", dimension: 32)
            let vectors = Vectors.random(2_000, dimension: 32, seed: 5)
            try await client.upsert("c", vectors.enumerated().map { WirePoint(id: UInt64($0.offset), vector: $0.element) })
            let batch = WireBatch(searches: Vectors.random(300, dimension: 32, seed: 6).map { WireSearch(vector: $0, k: 10, exact: true) })
            let body = try JSONEncoder().encode(batch)
            var searches: [Int] = [], monitoring: [(String, Int)] = []
            // slow searches keep the one place taken while the monitoring routes are asked for
            for _ in 0..<3 where !searches.contains(503) {
                let (rounds, probes) = try await withThrowingTaskGroup(of: (Int?, (String, Int)?).self) { group in
                    for _ in 0..<16 { group.addTask { (try await client.send(.POST, "/v1/collections/c/search/batch", body: body).status, nil) } }
                    for path in ["/metrics", "/readyz", "/healthz", "/metrics", "/readyz", "/healthz"] {
                        group.addTask { (nil, (path, try await client.get(path).status)) }
                    }
                    return try await group.reduce(into: ([Int](), [(String, Int)]())) { result, reply in
                        if let status = reply.0 { result.0.append(status) }
                        if let probe = reply.1 { result.1.append(probe) }
                    }
                }
                searches += rounds
                monitoring += probes
            }
            #expect(searches.contains(503), "the queue of one was never full")
            #expect(monitoring.allSatisfy { $0.1 == 200 }, "\(monitoring)")
        }
    }
}
