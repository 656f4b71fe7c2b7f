import FeatureMemory
import Foundation

/// How `fmdb serve` runs: where, on which address, with which limits and credentials.
public struct ServerConfiguration: Sendable {
    /// The directory of collections (each subdirectory that is a store).
    public var directory: URL
    /// The address to listen on (loopback by default).
    public var host: String = "127.0.0.1"
    /// The port (0: any free port, printed when listening).
    public var port: Int = 6380
    /// Accepted API keys; empty: no authentication.
    public var apiKeys: [String] = []
    /// PEM certificate chain and private key for TLS; nil: plain HTTP.
    public var tls: (certificate: String, key: String)?
    /// Node cache budget per collection, in bytes.
    public var cacheBytes: Int = 256 << 20
    /// Decoded vectors and links the writer keeps per collection, in bytes.
    public var writeCacheBytes: Int = 512 << 20
    /// Search results kept per collection for repeated queries (0: off).
    public var resultCacheEntries = 1_024
    /// The largest request body, in bytes.
    public var maximumBodyBytes: Int = 64 << 20
    /// Connections open at once; more are closed as they arrive.
    public var maximumConnections: Int = 16_384
    /// Requests handled at once before new ones get 503 with Retry-After.
    public var maximumInFlight: Int = 1_024
    /// Whether concurrent writes to a collection share a transaction and its fsync (off: one each,
    /// for comparison).
    public var groupCommit = true
    /// What a commit waits for.
    public var durability: Durability = .full
    /// Whether /metrics, the dashboard and the recall canary run.
    public var metrics = true
    /// Seconds between recall canary runs (0: off).
    public var recallCanaryInterval: Double = 10
    /// The share of one core the recall canary may use on average (0.008: 0.8 %).
    public var recallCanaryCoreShare = 0.008
    /// The ef of searches that give none (nil: the store's default, max(64, k)).
    public var defaultEf: Int?
    /// Time for request headers to arrive.
    public var headerTimeout: Duration = .seconds(10)
    /// Time for a request body to arrive after its headers.
    public var bodyTimeout: Duration = .seconds(60)
    /// Time a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration = .seconds(60)

    /// The cluster to join (nil: serve the directory's collections alone).
    public var cluster: ClusterConfiguration?

    /// A configuration serving `directory` with the defaults.
    public init(directory: URL) { self.directory = directory }

    /// Reads API keys from a file: one per line; blank lines and lines starting with # are skipped.
    public static func apiKeys(fromFile path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServerStartError("cannot read the API key file \(path)")
        }
        let keys = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw ServerStartError("the API key file \(path) holds no key") }
        return keys
    }
}

/// Why the server could not start: one line, for the operator.
public struct ServerStartError: Error, CustomStringConvertible {
    /// The line.
    public var description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
