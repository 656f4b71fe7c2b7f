import Foundation
import NIOCore
import NIOHTTP1
import VectorFiles

/// The requests a run sends, encoded once up front so the send path only copies bytes: a search
/// body per query row, and per query row the tail of an upsert body that follows the new point's id.
struct Workload: Sendable {
    /// Which query row a request uses, and whether it searches or upserts.
    enum Kind: Sendable {
        /// A search for query `row`; its truth row is `row` too.
        case search(row: Int)
        /// An upsert of query `row`'s values, reversed, as the point `id`.
        case write(id: UInt64, row: Int)
    }

    /// Query rows; searches cycle through them.
    let queryCount: Int
    /// Ground-truth neighbour ids per query row, when `--truth` was given.
    let truth: [[Int32]]?
    /// Neighbours asked for per search, and the denominator of recall@k.
    let k: Int
    private let searchBodies: [ByteBuffer]
    private let writeBodyTails: [ByteBuffer]
    private let searchHead: HTTPRequestHead
    private let writeHead: HTTPRequestHead

    /// Encodes every body for `queries` against `target`.
    init(queries: [[Float]], truth: [[Int32]]?, k: Int, ef: Int?, base64: Bool, target: Target, apiKey: String?) {
        queryCount = queries.count
        self.truth = truth
        self.k = k
        let allocator = ByteBufferAllocator()
        let efField = ef.map { ",\"ef\":\($0)" } ?? ""
        searchBodies = queries.map { vector in
            allocator.buffer(string: "{\(Self.vectorField(vector, base64: base64)),\"k\":\(k)\(efField)}")
        }
        // a query's values in reverse order: the same values and norm, but a direction far from
        // the data and the queries, so written points do not crowd the searches' true neighbours
        writeBodyTails = queries.map { vector in
            allocator.buffer(string: ",\(Self.vectorField(vector.reversed(), base64: base64))}]}")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let collection = target.basePath + "/v1/collections/" + target.collection
        searchHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: collection + "/search", headers: headers)
        writeHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: collection + "/points", headers: headers)
    }

    /// The head and body of a request of `kind`.
    func request(_ kind: Kind) -> (head: HTTPRequestHead, body: ByteBuffer) {
        let body: ByteBuffer
        var head: HTTPRequestHead
        switch kind {
        case .search(let row):
            body = searchBodies[row]
            head = searchHead
        case .write(let id, let row):
            var buffer = ByteBufferAllocator().buffer(capacity: writeBodyTails[row].readableBytes + 40)
            buffer.writeString("{\"points\":[{\"id\":\(id)")
            var tail = writeBodyTails[row]
            buffer.writeBuffer(&tail)
            body = buffer
            head = writeHead
        }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        return (head, body)
    }

    /// `"vector":[0.1,...]` or `"vector_b64":"..."` (little-endian float32), as the API takes either.
    private static func vectorField(_ vector: [Float], base64: Bool) -> String {
        if base64 {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(vector.count * 4)
            for x in vector { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
            return "\"vector_b64\":\"\(Data(bytes).base64EncodedString())\""
        }
        // Float's description is the shortest text that reads back to the same value
        return "\"vector\":[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }
}

/// Decides, request by request, whether it is a search or a write, and which query row it uses.
struct RequestPlan {
    private var generator: SplitMix64
    private let writeFraction: Double
    private let queryCount: Int
    private let writeIDStart: UInt64
    private let writeIDCount: UInt64
    private var searches = 0

    /// A plan drawing writes with probability `writeFraction` from a generator seeded with `seed`;
    /// written ids cycle through `writeIDCount` ids from `writeIDStart` (0: never repeat).
    init(seed: UInt64, writeFraction: Double, queryCount: Int, writeIDStart: UInt64, writeIDCount: UInt64 = 0) {
        generator = SplitMix64(seed: seed)
        self.writeFraction = writeFraction
        self.queryCount = queryCount
        self.writeIDStart = writeIDStart
        self.writeIDCount = writeIDCount
    }

    /// The kind of request number `index`; called once per index, in order.
    mutating func next(index: Int) -> Workload.Kind {
        // always draw, so the write pattern for a seed does not depend on the fraction's zero case
        let draw = Double(generator.next() >> 11) * 0x1p-53
        if draw < writeFraction {
            let offset = writeIDCount > 0 ? UInt64(index) % writeIDCount : UInt64(index)
            return .write(id: writeIDStart &+ offset, row: index % queryCount)
        }
        // searches take consecutive rows, so every query (and its truth row) is used evenly
        defer { searches += 1 }
        return .search(row: searches % queryCount)
    }
}

/// Where requests go: `http://HOST:PORT[/prefix]` and a collection name.
struct Target: Sendable {
    /// Host name or address to connect to.
    let host: String
    /// TCP port.
    let port: Int
    /// The URL's path without a trailing slash ("" for none), put before `/v1/...`.
    let basePath: String
    /// The collection searched and written.
    let collection: String

    /// The `Host` header: the host, and the port unless it is 80.
    var hostHeader: String { port == 80 ? host : "\(host):\(port)" }

    /// Parses `url`; nil unless it is `http://` with a host.
    init?(url: String, collection: String) {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
              let host = components.host, !host.isEmpty else { return nil }
        self.host = host
        port = components.port ?? 80
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        self.collection = collection
    }
}
