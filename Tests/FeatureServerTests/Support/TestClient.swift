import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// One HTTP answer, its body read in full.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    /// The body as text, for failure messages.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as `T`.
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            throw ServerFailure("cannot decode \(T.self) from \(status) \(text): \(error)")
        }
    }

    /// The `{"error": {"code", "message"}}` body, checked to be exactly that shape.
    func apiError() throws -> ErrorDetail {
        let object = try #require(try? JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text)")
        #expect(object.keys.sorted() == ["error"], "\(text)")
        let detail = try #require(object["error"] as? [String: Any], "no error object: \(text)")
        #expect(detail.keys.sorted() == ["code", "message"], "\(text)")
        #expect(headers.first(name: "Content-Type") == "application/json")
        return ErrorDetail(
            code: try #require(detail["code"] as? String, "\(text)"), message: try #require(detail["message"] as? String, "\(text)"))
    }
}

/// The error object of an error response.
struct ErrorDetail: Sendable {
    var code: String
    var message: String
}

/// Talks to one server: its base URL, an HTTP client, and headers sent with every request.
struct TestClient: Sendable {
    let http: HTTPClient
    let base: String
    /// Sent with every request (an Authorization header).
    var headers: [(String, String)] = []
    /// How long one request may take: a hang guard, not a speed target. A 10,000-point upsert
    /// into a debug build takes 20 s alone and passed 60 s when CI shared the two cores with a
    /// release build.
    static let timeout: TimeAmount = .seconds(180)

    /// Sends a request; `body` goes as is, with `contentType` when given.
    func send(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = "application/json",
        headers extra: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers + extra { request.headers.add(name: name, value: value) }
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: Self.timeout)
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// GET `path`.
    func get(_ path: String) async throws -> Reply { try await send(.GET, path) }
    /// DELETE `path`.
    func delete(_ path: String) async throws -> Reply { try await send(.DELETE, path) }
    /// `method path` with a JSON text body.
    func send(_ method: HTTPMethod, _ path: String, json: String) async throws -> Reply {
        try await send(method, path, body: Data(json.utf8))
    }
    /// `method path` with `value` encoded as the JSON body.
    func send(_ method: HTTPMethod, _ path: String, encoding value: some Encodable) async throws -> Reply {
        try await send(method, path, body: try JSONEncoder().encode(value))
    }

    /// Creates a collection; 201 expected.
    @discardableResult
    func createCollection(_ name: String, dimension: Int, metric: String = "l2") async throws -> Reply {
        let reply = try await send(.PUT, "/v1/collections/\(name)", json: #"{"dimension": \#(dimension), "metric": "\#(metric)"}"#)
        #expect(reply.status == 201, "\(reply.text)")
        return reply
    }

    /// Upserts points; 200 expected.
    func upsert(_ collection: String, _ points: [WirePoint]) async throws {
        let reply = try await send(.POST, "/v1/collections/\(collection)/points", encoding: Upsert(points: points))
        #expect(reply.status == 200, "\(reply.text)")
        #expect(try reply.decode(Upserted.self).upserted == points.count)
    }

    /// The point `id`, or nil on 404.
    func point(_ collection: String, _ id: UInt64) async throws -> WirePoint? {
        let reply = try await get("/v1/collections/\(collection)/points/\(id)")
        if reply.status == 404 { return nil }
        #expect(reply.status == 200, "\(reply.text)")
        return try reply.decode(WirePoint.self)
    }

    /// The collection's point count.
    func count(_ collection: String) async throws -> Int {
        let reply = try await get("/v1/collections/\(collection)")
        #expect(reply.status == 200, "\(reply.text)")
        return try reply.decode(WireCollection.self).count
    }

    /// Every point of `ids` that exists, in order: what a failed write must leave unchanged.
    func snapshot(_ collection: String, ids: some Sequence<UInt64>) async throws -> [WirePoint] {
        var points: [WirePoint] = []
        for id in ids { if let point = try await point(collection, id) { points.append(point) } }
        return points
    }

    /// The value of the Prometheus sample `name` (with its labels, as printed) on /metrics.
    func metric(_ sample: String) async throws -> Int {
        let value = try await metricValue(sample)
        return try #require(Int(exactly: value), "\(sample) is \(value), not a whole number")
    }

    /// The value of one sample line of /metrics (`name{labels}`); fails the test when it is missing.
    func metricValue(_ sample: String) async throws -> Double {
        let reply = try await get("/metrics")
        let line = reply.text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }
        return try #require(line.flatMap { Double($0.split(separator: " ").last ?? "") }, "no \(sample) in \(reply.text)")
    }

    /// Whether /metrics has a sample line of `sample` (`name{labels}`).
    func hasMetric(_ sample: String) async throws -> Bool {
        try await get("/metrics").text.split(separator: "\n").contains { $0.hasPrefix(sample + " ") }
    }
}
