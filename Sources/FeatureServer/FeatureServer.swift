import FeatureMemory
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// `fmdb serve`: the HTTP API over a directory of collections, until SIGTERM or SIGINT.
public enum FeatureServer {
    /// Serves `configuration.directory`; calls `listening` with the base URL once connections are
    /// accepted. On SIGTERM/SIGINT it stops accepting, finishes the requests in flight, commits
    /// the writes accepted, closes the stores and returns.
    public static func run(_ configuration: ServerConfiguration, listening: @escaping @Sendable (String) -> Void) async throws {
        var logger = Logger(label: "fmdb.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["FMDB_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        try StartChecks.directory(configuration.directory)
        try StartChecks.port(host: configuration.host, port: configuration.port)
        let maximumConnections = min(configuration.maximumConnections, StartChecks.raiseOpenFileLimit() - 256)

        let counters = ServerCounters()
        let metrics = configuration.metrics ? ServerMetrics(counters: counters, version: FeatureServer.version) : nil
        let registry = try CollectionRegistry(
            directory: configuration.directory,
            storeOptions: StoreOptions(
                durability: configuration.durability, writeCacheBytes: configuration.writeCacheBytes,
                cacheBytes: configuration.cacheBytes,
                resultCacheEntries: configuration.resultCacheEntries),
            groupCommit: configuration.groupCommit, metrics: metrics, logger: logger)
        // a clustered node keeps its shard replicas apart from the directory's own collections
        let scheme = configuration.tls == nil ? "http" : "https"
        let cluster = try configuration.cluster.map { clusterConfiguration in
            try ClusterNode(
                configuration: clusterConfiguration, url: "\(scheme)://\(configuration.host):\(configuration.port)",
                directory: configuration.directory.appendingPathComponent("shards"),
                storeOptions: StoreOptions(
                    durability: configuration.durability, writeCacheBytes: configuration.writeCacheBytes,
                    cacheBytes: configuration.cacheBytes, resultCacheEntries: configuration.resultCacheEntries),
                apiKey: configuration.apiKeys.first, metrics: metrics, logger: logger)
        }
        // stopped on every way out, a failed start included (its HTTP client must be shut down)
        defer { cluster?.stop() }
        let router = Router(context: BasicRequestContext.self)
        if let cluster { router.add(middleware: NodeNameMiddleware(node: cluster.name)) }
        if let metrics { router.add(middleware: RequestMetricsMiddleware(metrics: metrics)) }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(keys: configuration.apiKeys))
        router.add(middleware: AdmissionMiddleware(maximumInFlight: configuration.maximumInFlight, counters: counters))
        router.add(middleware: MethodMiddleware())
        let dashboard = metrics.map { DashboardSeries(metrics: $0) { registry.all } }
        let canary = configuration.metrics && configuration.recallCanaryInterval > 0
            ? CanaryScheduler(
                interval: configuration.recallCanaryInterval, coreShare: configuration.recallCanaryCoreShare, defaultEf: configuration.defaultEf) { registry.all } : nil
        API(
            registry: registry, maximumBodyBytes: configuration.maximumBodyBytes, counters: counters, metrics: metrics,
            defaultEf: configuration.defaultEf, dashboard: dashboard, cluster: cluster
        ).register(on: router)

        let limits = ConnectionLimits(
            maximumConnections: max(1, maximumConnections),
            headerTimeout: .nanoseconds(Int64(configuration.headerTimeout.components.seconds * 1_000_000_000)),
            bodyTimeout: .nanoseconds(Int64(configuration.bodyTimeout.components.seconds * 1_000_000_000)),
            idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.components.seconds * 1_000_000_000)))
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(limits: limits, counters: counters)], idleTimeout: nil)
        let app = Application(
            router: router,
            server: try serverBuilder(http: http, tls: configuration.tls),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "fmdb", backlog: 4096),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                listening("\(scheme)://\(host):\(port)")
            },
            logger: logger)
        dashboard?.start()
        canary?.start()
        try cluster?.start()
        defer {
            canary?.stop()
            dashboard?.stop()
            registry.closeAll()
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// The version `featurememory_build_info` reports.
    public static let version = "0.14.0"

    private static func serverBuilder(http: HTTP1Channel.Configuration, tls: (certificate: String, key: String)?) throws -> HTTPServerBuilder {
        guard let tls else { return .http1(configuration: http) }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            return try .tls(.http1(configuration: http), tlsConfiguration: configuration)
        } catch {
            throw ServerStartError("cannot use the TLS certificate \(tls.certificate) and key \(tls.key): \(error)")
        }
    }
}
