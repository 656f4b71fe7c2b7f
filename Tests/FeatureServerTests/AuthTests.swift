import Foundation
import Testing

/// `--api-key-file`: every route but /healthz needs `Authorization: Bearer KEY`.
struct AuthTests {
    static let keys = ["k1-7f3a9c2e51d04b8a", "second-key-0123456789"]

    /// A key file with both keys, a comment and blank lines.
    static func keyFile(in directory: TemporaryDirectory) throws -> String {
        let path = directory.url.appendingPathComponent("keys").path
        try "# API keys\n\n\(keys[0])\n  \(keys[1])  \n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func expectUnauthorized(_ reply: Reply, _ note: String) throws {
        #expect(reply.status == 401, "\(note): \(reply.text)")
        #expect(try reply.apiError().code == "unauthorized", "\(note)")
        #expect(reply.headers.first(name: "WWW-Authenticate") == "Bearer", "\(note)")
    }

    @Test func requestsWithoutTheRightKeyAre401() async throws {
        let scratch = try TemporaryDirectory()
        try await withServer(["--api-key-file", try Self.keyFile(in: scratch)]) { _, client in
            let key = Self.keys[0]
            let wrong: [(String, [(String, String)])] = [
                ("no header", []), ("wrong key", [("Authorization", "Bearer nope")]),
                ("a prefix of a key", [("Authorization", "Bearer " + key.dropLast(1))]),
                ("a key with more after it", [("Authorization", "Bearer " + key + "x")]),
                ("an empty key", [("Authorization", "Bearer ")]), ("no scheme", [("Authorization", key)]),
                ("another scheme", [("Authorization", "Basic " + key)]),
                ("the comment line", [("Authorization", "Bearer # API keys")]),
            ]
            for (note, headers) in wrong {
                try Self.expectUnauthorized(try await client.send(.GET, "/v1/collections", headers: headers), note)
                try Self.expectUnauthorized(try await client.send(.GET, "/metrics", headers: headers), note)
                try Self.expectUnauthorized(try await client.send(.GET, "/readyz", headers: headers), note)
                try Self.expectUnauthorized(try await client.send(.GET, "/dashboard/data", headers: headers), note)
                let create = try await client.send(.PUT, "/v1/collections/c", body: Data(#"{"dimension": 2}"#.utf8), headers: headers)
                try Self.expectUnauthorized(create, note)
            }
            #expect(try await client.get("/healthz").status == 200, "/healthz needs no key")
            // the page itself holds no data; what it charts needs the key
            #expect(try await client.get("/dashboard").status == 200, "the dashboard page needs no key")
        }
    }

    @Test func eachKeyInTheFileWorks() async throws {
        let scratch = try TemporaryDirectory()
        try await withServer(["--api-key-file", try Self.keyFile(in: scratch)]) { server, client in
            var first = client
            first.headers = [("Authorization", "Bearer \(Self.keys[0])")]
            var second = client
            second.headers = [("Authorization", "Bearer \(Self.keys[1])")]
            try await first.createCollection("c", dimension: 2)
            try await second.upsert("c", [WirePoint(id: 1, vector: [1, 2])])
            #expect(try await first.point("c", 1) == WirePoint(id: 1, vector: [1, 2]))
            #expect(try await second.get("/v1/collections").status == 200)
            #expect(try await first.get("/metrics").status == 200)
            #expect(try await second.get("/readyz").status == 200)

            // a refused write wrote nothing
            let refused = try await client.send(.POST, "/v1/collections/c/points", encoding: Upsert(points: [WirePoint(id: 2, vector: [3, 4])]))
            #expect(refused.status == 401)
            #expect(try await first.count("c") == 1)
            #expect(FileManager.default.fileExists(atPath: server.directory.appendingPathComponent("c").path))
        }
    }

    @Test func aMissingOrEmptyKeyFileStopsTheStart() async throws {
        let scratch = try TemporaryDirectory()
        let empty = scratch.url.appendingPathComponent("empty").path
        try "# nothing\n\n".write(toFile: empty, atomically: true, encoding: .utf8)
        for file in [empty, scratch.url.appendingPathComponent("absent").path] {
            let run = try await ServerProcess.runToExit(["serve", scratch.url.appendingPathComponent("dir").path, "--port", "0", "--api-key-file", file])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(!run.stdout.contains("listening"))
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(file), "\(run.stderr)")
        }
    }
}
