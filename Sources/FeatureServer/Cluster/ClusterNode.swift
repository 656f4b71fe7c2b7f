import AsyncHTTPClient
import FeatureCluster
import FeatureMemory
import Foundation
import Logging
import Synchronization

/// A node of a cluster: its connection to NATS, its view of the map and of the other nodes,
/// and the shard replicas it holds under `DIR/shards`, kept in line with the map by an agent
/// thread (open what is assigned, copy a snapshot when the store is missing, drop what moved
/// away once its new holders serve it, report progress every second, trim the logs).
final class ClusterNode: Sendable {
    /// This node's name.
    let name: String
    /// Where other nodes reach this one.
    let url: String
    /// Where its shard replicas live.
    let directory: URL
    let connection: NATSConnection
    let cluster: ClusterDirectory
    /// Searches of other nodes' shards and snapshot copies.
    let http: HTTPClient
    let logger: Logger
    /// The key this node sends other nodes (the first of its --api-key-file: every node of a
    /// cluster is given the same file), nil when the API is open.
    let apiKey: String?
    private let storeOptions: StoreOptions
    private let serverMetrics: ServerMetrics?
    /// The cluster's series on /metrics (nil without metrics).
    let metrics: ClusterMetrics?
    private let replicaTable = Mutex<[String: ShardReplica]>([:])
    private let agentRunning = Atomic<Bool>(false)
    /// Per shard, the sequences this node published that its replicas had not applied when last
    /// looked at, oldest first, with when (bounded: the oldest are forgotten past 100,000).
    private let published = Mutex<[String: [(sequence: UInt64, published: ContinuousClock.Instant)]]>([:])
    private let lastReport = Atomic<Double>(0)
    private let lastTrim = Atomic<Double>(0)
    private let currentView = Mutex(ClusterView())
    private let running = Atomic<Bool>(true)
    private let agentStopped = DispatchSemaphore(value: 0)
    /// Whether the agent has read the map and opened this node's replicas once.
    let isStarted = Atomic<Bool>(false)
    /// Searches that skipped a replica (down, behind, or failing) for another.
    let replicasSkipped = Atomic<Int>(0)

    /// Connects to NATS and joins the map as `configuration.node` at `url`.
    init(
        configuration: ClusterConfiguration, url: String, directory: URL, storeOptions: StoreOptions, apiKey: String?,
        metrics: ServerMetrics?, logger: Logger
    ) throws {
        guard CollectionRegistry.isValidName(configuration.node) else {
            throw ServerStartError("--node: give 1–64 letters, digits, _ or -, got \"\(configuration.node.prefix(80))\"")
        }
        name = configuration.node
        self.url = configuration.advertiseURL ?? url
        self.directory = directory
        self.storeOptions = storeOptions
        self.apiKey = apiKey
        self.serverMetrics = metrics
        self.metrics = metrics.map { ClusterMetrics(registry: $0.registry) }
        self.logger = logger
        do {
            connection = try NATSConnection(urls: configuration.natsURLs, name: "fmdb \(configuration.node)")
            cluster = try ClusterDirectory(connection: connection)
        } catch {
            throw ServerStartError("cannot join the cluster at \(configuration.natsURLs.joined(separator: ",")): \(error)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // last: from here on the client must be shut down (stop()) before the node goes
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(1), read: .seconds(30))))
    }

    /// Registers the node in the map, opens the replicas on disk and starts the agent.
    func start() throws {
        let name = self.name, url = self.url
        // a bucket made a moment ago may have no leader yet ("no responders"): retry for a minute
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                try cluster.modifyMap { map in
                    if map.nodes[name]?.url != url { map.nodes[name] = ClusterMap.Member(url: url, draining: map.nodes[name]?.draining ?? false) }
                }
                break
            } catch {
                guard ContinuousClock.now < deadline else {
                    stop()
                    throw ServerStartError("cannot register node \(name) in the cluster map: \(error)")
                }
                logger.warning("registering in the cluster map failed, retrying: \(error)")
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        agentRunning.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                agentRound()
                Thread.sleep(forTimeInterval: 0.25)
            }
            agentStopped.signal()
        }
        thread.name = "cluster agent"
        thread.start()
    }

    /// Stops the agent and every replica's applier, and closes the stores.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        if isStarted.load(ordering: .acquiring) || agentRunning.load(ordering: .acquiring) { _ = agentStopped.wait(timeout: .now() + 15) }
        let replicas = replicaTable.withLock { table in defer { table.removeAll() }; return Array(table.values) }
        for replica in replicas { replica.stop() }
        try? http.syncShutdown()
    }

    /// Remembers that this node's write to a shard was acknowledged at `sequence` now.
    func notePublished(_ sequence: UInt64, collection: String, shard: Int) {
        published.withLock { table in
            let key = ShardRouting.replicaName(collection, shard: shard)
            table[key, default: []].append((sequence, ContinuousClock.now))
            if table[key]!.count > 100_000 { table[key]!.removeFirst(50_000) }
        }
    }

    /// The oldest write this node published to a shard above `applied`, forgetting those at or below it.
    func oldestUnapplied(collection: String, shard: Int, applied: UInt64) -> (sequence: UInt64, published: ContinuousClock.Instant)? {
        published.withLock { table in
            let key = ShardRouting.replicaName(collection, shard: shard)
            guard var list = table[key] else { return nil }
            let done = list.prefix { $0.sequence <= applied }.count
            if done > 0 {
                list.removeFirst(done)
                table[key] = list
            }
            return list.first
        }
    }

    /// Adds this node's API key to a request to another node.
    func authorize(_ request: inout HTTPClientRequest) {
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
    }

    /// The map and reports as last read.
    var view: ClusterView { currentView.withLock { $0 } }

    /// This node's replica of a shard, if it holds one.
    func replica(_ collection: String, shard: Int) -> ShardReplica? {
        replicaTable.withLock { $0[ShardRouting.replicaName(collection, shard: shard)] }
    }

    /// Every replica this node holds.
    var replicas: [ShardReplica] { replicaTable.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// Whether every replica assigned here has caught up once (what /readyz answers).
    var isReady: Bool {
        guard isStarted.load(ordering: .acquiring), connection.isConnected else { return false }
        let view = self.view
        for (collectionName, collection) in view.map.collections {
            for shard in 0..<collection.shards where view.assigned(collectionName, shard: shard).contains(name) {
                guard replica(collectionName, shard: shard)?.isReady.load(ordering: .acquiring) == true else { return false }
            }
        }
        return true
    }


    /// One pass of the agent: read the map and reports, line the replicas up with the map,
    /// report, and now and then trim the logs.
    private func agentRound() {
        do {
            try refreshView()
            reconcile()
            isStarted.store(true, ordering: .releasing)
            let now = Date().timeIntervalSince1970
            if now - lastReport.load(ordering: .relaxed) >= 1 {
                try report()
                lastReport.store(now, ordering: .relaxed)
            }
            if now - lastTrim.load(ordering: .relaxed) >= 30 {
                lastTrim.store(now, ordering: .relaxed)
                trimLogs()
            }
        } catch {
            logger.warning("cluster agent: \(error)")
        }
    }

    /// Reads the map and every member's report.
    func refreshView() throws {
        let (map, _) = try cluster.map()
        var states: [String: NodeState] = [:]
        for node in map.nodes.keys {
            if let state = try? cluster.state(of: node) { states[node] = state }
        }
        currentView.withLock { $0 = ClusterView(map: map, states: states) }
    }

    /// Writes this node's report: every replica's applied sequence and readiness.
    func report() throws {
        let replicas = self.replicas
        let state = NodeState(replicas: Dictionary(uniqueKeysWithValues: replicas.map {
            ($0.name, NodeState.Replica(applied: $0.applied, ready: $0.isReady.load(ordering: .acquiring)))
        }))
        try cluster.report(state, for: name)
        currentView.withLock { $0.states[name] = state }
    }

    private func reconcile() {
        let view = self.view
        var wanted = Set<String>()
        for (collectionName, collection) in view.map.collections.sorted(by: { $0.key < $1.key }) {
            for shard in 0..<collection.shards where view.assigned(collectionName, shard: shard).contains(name) {
                let replicaName = ShardRouting.replicaName(collectionName, shard: shard)
                wanted.insert(replicaName)
                if let existing = replica(collectionName, shard: shard) {
                    guard existing.needsSnapshot.load(ordering: .acquiring) else { continue }
                    drop(existing)
                }
                do {
                    try openReplica(collectionName, shard: shard, settings: collection, view: view)
                } catch {
                    logger.error("\(replicaName): cannot open the replica: \(error)")
                }
            }
        }
        for replica in replicas where !wanted.contains(replica.name) {
            // a shard moving away stays here, applied and served, until its holders serve it
            let holders = view.assigned(replica.collectionName, shard: replica.shard)
            let collectionGone = view.map.collections[replica.collectionName] == nil
            let handedOver = !holders.isEmpty && holders.allSatisfy { node in
                view.isAlive(node) && view.states[node]?.replicas[replica.name]?.ready == true
            }
            if collectionGone || handedOver { drop(replica, removingFiles: true) }
        }
    }

    /// Stops a replica and forgets it; removes its files when asked.
    private func drop(_ replica: ShardReplica, removingFiles: Bool = true) {
        replicaTable.withLock { _ = $0.removeValue(forKey: replica.name) }
        replica.stop()
        replica.collection.metrics?.unregister()
        let path = replica.collection.store.directory
        guard removingFiles else { return }
        let parked = directory.appendingPathComponent(".dropped-\(replica.name)-\(UUID().uuidString)")
        try? FileManager.default.moveItem(at: path, to: parked)
        // the directory may go only when no store object maps it any more
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + 30) { try? FileManager.default.removeItem(at: parked) }
    }

    /// Opens (copying a snapshot first when there is no store) and starts this node's replica of a shard.
    private func openReplica(_ collectionName: String, shard: Int, settings: ClusterMap.ShardedCollection, view: ClusterView) throws {
        let replicaName = ShardRouting.replicaName(collectionName, shard: shard)
        let path = directory.appendingPathComponent(replicaName)
        if !FileManager.default.fileExists(atPath: path.appendingPathComponent("data.mdb").path) {
            let sources = view.servingNodes(collectionName, shard: shard).filter { $0 != name }
            var copied = false
            for source in sources {
                guard let sourceURL = view.map.nodes[source]?.url else { continue }
                do {
                    try copySnapshot(of: collectionName, shard: shard, from: sourceURL, to: path)
                    copied = true
                    logger.info("\(replicaName): copied a snapshot from \(source)")
                    break
                } catch {
                    logger.warning("\(replicaName): snapshot from \(source) failed: \(error)")
                }
            }
            if !copied {
                // nobody to copy from: start empty, which is right only while the log is whole
                let state = try connection.streamState(ShardRouting.stream(collectionName, shard: shard))
                guard state.firstSequence <= 1 else {
                    throw ServerStartError("no live replica to copy and the log starts at \(state.firstSequence)")
                }
            }
        }
        guard let metric = Metric(rawValue: settings.metric) else { throw ServerStartError("unknown metric \(settings.metric)") }
        var options = storeOptions
        options.dimension = settings.dimension
        options.metric = metric
        options.hnsw = HNSWParameters(m: settings.m, efConstruction: settings.efConstruction)
        options.createIfMissing = true
        let collectionMetrics = serverMetrics?.collection(replicaName)
        if let collectionMetrics { options.metricsFactory = collectionMetrics.storeFactory }
        let store = try FeatureStore(at: path, options: options)
        let collection = Collection(name: replicaName, store: store, groupCommit: false, metrics: collectionMetrics)
        collection.isWarm.store(true, ordering: .releasing)
        let replica = try ShardReplica(collectionName: collectionName, shard: shard, collection: collection, connection: connection, logger: logger)
        replicaTable.withLock { $0[replicaName] = replica }
        replica.start()
    }

    /// Removes from each shard's log what every assigned replica has applied (each replica's
    /// store is the snapshot that covers it); done by the first live member in name order only.
    private func trimLogs() {
        let view = self.view
        guard view.map.nodes.keys.sorted().first(where: { view.isAlive($0) }) == name else { return }
        for (collectionName, collection) in view.map.collections {
            for shard in 0..<collection.shards {
                let holders = view.assigned(collectionName, shard: shard)
                let replicaName = ShardRouting.replicaName(collectionName, shard: shard)
                let applied = holders.map { view.isAlive($0) ? view.states[$0]?.replicas[replicaName]?.applied : nil }
                guard !holders.isEmpty, applied.allSatisfy({ $0 != nil }), let lowest = applied.compactMap({ $0 }).min(), lowest > 0 else { continue }
                do {
                    try connection.purge(ShardRouting.stream(collectionName, shard: shard), below: lowest + 1)
                } catch {
                    logger.warning("\(replicaName): trimming the log failed: \(error)")
                }
            }
        }
    }
}
