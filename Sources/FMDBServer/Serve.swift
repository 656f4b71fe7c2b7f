import ArgumentParser
import CommandSupport
import Dispatch
import FeatureCluster
import FeatureServer
import Foundation
import Synchronization

extension ServerCommand {
    /// `fmdb serve DIR`: the HTTP API over a directory of collections.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve a directory of collections over HTTP (see openapi.yaml and docs/server.md).",
            discussion: """
                Each subdirectory of DIR that is a store is a collection named after it. Prints \
                "listening on URL" once it accepts connections. SIGTERM or SIGINT: stops accepting, \
                finishes the requests in flight, commits, closes the stores and exits 0.
                """)

        @Argument(help: "The directory of collections (made when missing).")
        var directory: String

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port (0: any free port).")
        var port = 6380

        @Option(help: "A file of API keys, one per line: every route but /healthz then needs Authorization: Bearer KEY.")
        var apiKeyFile: String?

        @Option(help: "PEM certificate chain for TLS (with --tls-key).")
        var tlsCert: String?

        @Option(help: "PEM private key for TLS (with --tls-cert).")
        var tlsKey: String?

        @Option(help: "Node cache per collection, MiB.")
        var cacheMb = 256

        @Option(help: "Decoded vectors and links the writer keeps per collection, MiB (inserts read them instead of B-trees).")
        var writeCacheMb = 512

        @Option(help: "Search results kept per collection for repeated queries (0: off).")
        var resultCacheEntries = 1_024

        @Option(help: "Largest request body, MiB.")
        var maxBodyMb = 64

        @Option(help: "Connections open at once; more are closed as they arrive.")
        var maxConnections = 16_384

        @Option(help: "Requests handled at once; more get 503 with Retry-After.")
        var maxQueue = 1_024

        @Option(help: "What a commit waits for: full (default), no-meta-sync or no-sync.")
        var durability: DurabilityArgument = .full

        @Flag(inversion: .prefixedNo, help: "Prometheus metrics at /metrics, the dashboard at /dashboard, and the recall canary.")
        var metrics = true

        @Option(help: "Seconds between recall canary runs: recent searches checked against exhaustive ones, under 1 % of a core (0: off).")
        var recallCanary = 10.0

        @Option(help: "The share of one core the recall canary may use on average, percent.")
        var recallCanaryCpu = 0.8

        @Option(help: "The ef of searches that give none (default: the store's, max(64, k)).")
        var ef: Int?

        @Flag(inversion: .prefixedNo, help: "Concurrent writes to a collection share a transaction and its fsync (--no-group-commit: one each, for comparison).")
        var groupCommit = true

        @Option(help: "Join a cluster through these NATS JetStream servers (nats://HOST:PORT[,...]): every collection is then sharded and replicated (docs/scaling.md).")
        var cluster: String?

        @Option(help: "This node's name in the cluster (with --cluster): 1–64 letters, digits, _ or -.")
        var node: String?

        @Option(help: "The URL other nodes reach this one at (with --cluster; default http://HOST:PORT).")
        var advertise: String?

        func validate() throws {
            if cluster != nil, node == nil { throw ValidationError("--cluster needs --node NAME") }
            if cluster == nil, node != nil || advertise != nil { throw ValidationError("--node and --advertise need --cluster") }
            if let cluster {
                do { _ = try natsURLs(cluster) } catch { throw ValidationError("--cluster: \(error.text)") }
            }
            if let advertise, URL(string: advertise)?.host == nil || !(advertise.hasPrefix("http://") || advertise.hasPrefix("https://")) {
                throw ValidationError("--advertise: give http(s)://HOST:PORT, got \"\(advertise.prefix(80))\"")
            }
            try OptionRange.check(cacheMb, in: 0...(1 << 20), flag: "--cache-mb")
            try OptionRange.check(writeCacheMb, in: 0...(1 << 20), flag: "--write-cache-mb")
            try OptionRange.check(resultCacheEntries, in: 0...1_000_000, flag: "--result-cache-entries")
            try OptionRange.check(maxBodyMb, in: 1...4_096, flag: "--max-body-mb")
            try OptionRange.check(maxConnections, in: 1...1_000_000, flag: "--max-connections")
            try OptionRange.check(maxQueue, in: 1...1_000_000, flag: "--max-queue")
            try OptionRange.check(port, in: 0...65_535, flag: "--port")
            guard recallCanary.isFinite, (0...86_400).contains(recallCanary) else {
                throw ValidationError("--recall-canary: give 0…86400 seconds, got \(recallCanary)")
            }
            guard recallCanaryCpu.isFinite, (0.01...100).contains(recallCanaryCpu) else {
                throw ValidationError("--recall-canary-cpu: give 0.01…100 percent, got \(recallCanaryCpu)")
            }
            if let ef { try OptionRange.check(ef, in: 1...100_000, flag: "--ef") }
            guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("give --tls-cert and --tls-key together") }
        }

        func run() throws {
            var configuration = ServerConfiguration(directory: URL(fileURLWithPath: directory))
            configuration.host = host
            configuration.port = port
            if let apiKeyFile { configuration.apiKeys = try ServerConfiguration.apiKeys(fromFile: apiKeyFile) }
            if let tlsCert, let tlsKey { configuration.tls = (tlsCert, tlsKey) }
            configuration.cacheBytes = cacheMb << 20
            configuration.resultCacheEntries = resultCacheEntries
            configuration.writeCacheBytes = writeCacheMb << 20
            configuration.maximumBodyBytes = maxBodyMb << 20
            configuration.metrics = metrics
            configuration.recallCanaryInterval = recallCanary
            configuration.recallCanaryCoreShare = recallCanaryCpu / 100
            configuration.defaultEf = ef
            configuration.maximumConnections = maxConnections
            configuration.maximumInFlight = maxQueue
            configuration.durability = durability.value
            configuration.groupCommit = groupCommit
            if let cluster, let node {
                configuration.cluster = ClusterConfiguration(natsURLs: try natsURLs(cluster), node: node, advertiseURL: advertise)
            }
            try Self.block { [configuration] in
                try await FeatureServer.run(configuration) { url in
                    // written at once (not through stdio's buffer): scripts wait for this line
                    FileHandle.standardOutput.write(Data("listening on \(url)\n".utf8))
                }
            }
        }

        /// Runs async work to its end from this synchronous command.
        private static func block(_ work: @escaping @Sendable () async throws -> Void) throws {
            let outcome = Mutex<(any Error)?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task.detached {
                do { try await work() } catch { outcome.withLock { $0 = error } }
                done.signal()
            }
            done.wait()
            if let error = outcome.withLock({ $0 }) {
                if let start = error as? ServerStartError { throw CLIError(start.description) }
                throw error
            }
        }
    }
}
