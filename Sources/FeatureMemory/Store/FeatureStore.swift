import CoreMetrics
import Foundation

/// A store of feature vectors in one directory: vectors, metadata and indexes in one LMDB
/// environment. Thread-safe: reads run in parallel on any thread; writes are serialized.
///
/// ```swift
/// let store = try FeatureStore(at: directory, options: .init(dimension: 384, metric: .cosine))
/// try store.write { txn in
///     try txn.put(vector, for: 42, label: "dog")
/// }                                   // durable here
/// let hits = try store.read { try $0.nearest(to: query, count: 10) }
/// ```
///
/// Operations, one file and one report type per concept:
/// - On this open store object: `statistics()` (`StoreStatistics`), `verify()`
///   (`VerificationReport`), `repair()` (`RepairReport`), `sync()`, and for the cache
///   `cacheStatistics`, `saveHotSet()`.
/// - On a store's directory (static: they open what they need themselves, or must find the store
///   closed): `backup(from:to:compact:)` (`BackupReport`), `compact(at:)` (`CompactionReport`),
///   `salvage(from:to:metric:)` (`SalvageReport`), `verifyFile(at:)` (`VerificationReport`) and
///   `checkPages(at:everyPage:)`.
public final class FeatureStore: Sendable {
    /// The store's directory.
    public let directory: URL
    /// What the store was created with: format, dimension, metric, graph parameters.
    let schema: StoreSchema
    /// Floats per vector, fixed at creation.
    public var dimension: Int { schema.dimension }
    /// The distance metric, fixed at creation.
    public var metric: Metric { schema.metric }
    /// The precision the store keeps vectors in.
    public var encoding: VectorEncoding { schema.encoding }
    /// The on-disk format version of the store.
    public var formatVersion: UInt32 { schema.formatVersion }
    /// The HNSW graph's parameters (M fixed at creation; efConstruction may be set per opening).
    public var hnswParameters: HNSWParameters { schema.hnsw }
    /// Whether this opening created the store.
    public let wasCreated: Bool

    let environment: Environment
    /// This object's use of the shared environment: while it is held, an opening of the same
    /// directory with other environment settings is refused.
    private let lease: EnvironmentLease
    let tables: StoreTables
    let codecs: ScratchPool<VectorCodec>
    let scratches: ScratchPool<SearchScratch>
    let locations = SnapshotLocationSlot()
    let kdTrees = KDTreeSlot()
    let writerCache: WriterCache
    /// Proves layer 0 reachable between this store object's write transactions (`HNSWWriter.keepReachable`).
    let reachability = ReachabilityTree()
    /// Decoded vectors and links shared by this store object's readers (nil when the budget is 0).
    let nodeCache: NodeCache?
    /// Which prefetchers run.
    let prefetchOptions: PrefetchOptions
    /// The background thread of the prefetchers (nil without a node cache or prefetchers).
    let prefetcher: CachePrefetcher?
    /// Where searches wait for a warm start to locate every node.
    let locationGate = LocationGate()
    /// The predictive prefetcher's model (nil when it is off).
    let predictor: AccessPredictor?
    /// Results of repeated searches in the newest snapshot (nil when off).
    let resultCache: ResultCache<[SearchResult]>?
    /// When the hot set was last written.
    let hotSetSchedule = HotSetSchedule()
    /// swift-metrics export of the node cache's statistics (nil without a cache).
    let cacheMetrics: CacheMetrics?
    /// Where each graph search's duration and visited nodes are recorded.
    let searchMetrics: SearchMetrics

    /// Opens the store in `directory`, creating it when missing and `options.createIfMissing`.
    ///
    /// What `options` must agree with, or the opening throws `StoreError.configurationMismatch`
    /// naming the field and changes nothing:
    /// - The store: `dimension`, `metric` and `hnsw.m`, when given, are what it was created with.
    /// - The store objects open on the same directory in this process, which share one LMDB
    ///   environment (LMDB allows one per process): `durability`, `mapSizeCap` and
    ///   `initialMapSize` are the environment's, so they must equal those store objects' options.
    ///   Identical options share the environment; once every store object on the directory is
    ///   released, the next opening may choose them anew.
    /// - Nothing: `hnsw.efConstruction`, `writeCacheBytes`, `cacheBytes`, `cachePolicy`,
    ///   `cacheFormat`, `prefetch`, `resultCacheEntries` and `metricsFactory` belong to this store
    ///   object (its own caches and inserts) and may differ between store objects.
    public convenience init(at directory: URL, options: StoreOptions = StoreOptions()) throws {
        try self.init(at: directory, options: options, joiningOpenEnvironment: false)
    }

    /// Opens the store in `directory`; with `joiningOpenEnvironment`, an environment this process
    /// has open is used with its own settings whatever `options` says (for maintenance such as a
    /// backup, which must work beside the store objects in use).
    init(at directory: URL, options: StoreOptions, joiningOpenEnvironment: Bool) throws {
        let path = directory.path
        try Self.validate(options)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fileManager.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue { throw StoreError.io(path: path, reason: "not a directory") }
        let hasData = exists && fileManager.fileExists(atPath: path + "/data.mdb")
        if !hasData {
            guard options.createIfMissing else { throw StoreError.storeNotFound(path: path) }
            guard options.dimension != nil else { throw StoreError.missingDimension }
            do {
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError.io(path: path, reason: "cannot create the directory: \(error.localizedDescription)")
            }
        }
        var configuration = Environment.Configuration()
        configuration.initialMapSize = options.mapSizeCap.map { min($0, options.initialMapSize) } ?? options.initialMapSize
        configuration.mapSizeCap = options.mapSizeCap
        configuration.durability = options.durability
        let lease = try EnvironmentRegistry.shared.environment(
            directory: path, configuration: configuration, joining: joiningOpenEnvironment)
        let environment = lease.environment

        // An existing store opens in a read transaction, so opening never waits for a writer
        // (another process may be in the middle of a long import); only a new store needs a
        // write transaction.
        let existing = try environment.readKeepingTables { txn -> (StoreTables, StoreSchema)? in
            guard !(try environment.mainTableIsEmpty(in: txn)) else { return nil }
            return try Self.openExisting(environment: environment, txn: txn, options: options, path: path)
        }
        let opened: (tables: StoreTables, schema: StoreSchema, created: Bool)
        if let existing {
            opened = (existing.0, existing.1, false)
        } else {
            opened = try environment.tableLock.withLock {
                try environment.write { txn -> (StoreTables, StoreSchema, Bool) in
                    if !(try environment.mainTableIsEmpty(in: txn)) {
                        // created by another opener since the read above
                        let (tables, schema) = try Self.openExisting(environment: environment, txn: txn, options: options, path: path)
                        return (tables, schema, false)
                    }
                    guard options.createIfMissing else { throw StoreError.storeNotFound(path: path) }
                    guard let dimension = options.dimension else { throw StoreError.missingDimension }
                    guard var tables = try StoreTables.open(in: environment, txn: txn, create: true) else {
                        throw StoreError.notAStore(path: path)
                    }
                    let encoding = options.encoding ?? .f32
                    let schema = StoreSchema(
                        formatVersion: MetaKey.currentFormatVersion, dimension: dimension, metric: options.metric ?? .l2,
                        encoding: encoding, hnsw: options.hnsw ?? HNSWParameters(), levelSeed: 0,
                        vectorSlots: VectorBlock.slots(recordBytes: encoding.largestRecordBytes(dimension: dimension), pageSize: try environment.info(countingReaders: false).pageSize))
                    tables.vectorSlots = schema.vectorSlots
                    try schema.write(to: tables.meta, in: txn)
                    try txn.setInteger(Date().timeIntervalSince1970.bitPattern, for: .createdAt, in: tables.meta)
                    try txn.setInteger(UInt64(0), for: .count, in: tables.meta)
                    try txn.setInteger(UInt32(0), for: .nextNode, in: tables.meta)
                    return (tables, schema, true)
                }
            }
        }
        var schema = opened.schema
        if let efConstruction = options.hnsw?.efConstruction { schema.hnsw.efConstruction = efConstruction }
        self.directory = directory
        self.environment = environment
        self.lease = lease
        self.tables = opened.tables
        self.schema = schema
        self.wasCreated = opened.created
        let dimension = schema.dimension
        let encoding = schema.encoding
        self.codecs = ScratchPool { VectorCodec(dimension: dimension, encoding: encoding) }
        self.scratches = ScratchPool { SearchScratch(dimension: dimension) }
        self.writerCache = WriterCache(
            dimension: dimension, byteBudget: max(options.writeCacheBytes, 0), flatWidth: schema.hnsw.maximumLinks(layer: 0))
        let hnsw = schema.hnsw
        var openedNodeBound: Int?
        if options.cacheBytes > 0 {
            let (snapshot, bound) = try environment.read { txn in
                (UInt64(txn.snapshotID), try StoreCounters.plausibleNodeBound(in: txn, tables: opened.tables))
            }
            openedNodeBound = bound
            nodeCache = NodeCache(
                dimension: dimension, maximumLinks: hnsw.maximumLinks(layer: 0), budgetBytes: options.cacheBytes,
                snapshot: snapshot, nodeBound: bound, policy: options.cachePolicy,
                format: options.cacheFormat)
        } else {
            nodeCache = nil
        }
        let prefetch = nodeCache == nil ? PrefetchOptions(graph: false, warmStart: false, predictive: false) : options.prefetch
        prefetchOptions = prefetch
        predictor = prefetch.predictive ? AccessPredictor() : nil
        resultCache = options.resultCacheEntries > 0 ? ResultCache(capacity: options.resultCacheEntries) : nil
        cacheMetrics = nodeCache == nil ? nil : CacheMetrics(directory: directory.path, factory: options.metricsFactory ?? MetricsSystem.factory)
        searchMetrics = SearchMetrics(directory: directory.path, factory: options.metricsFactory ?? MetricsSystem.factory)
        prefetcher = prefetch.graph || prefetch.warmStart || prefetch.predictive ? CachePrefetcher() : nil
        nodeCache?.onWindow = { [weak self] in self?.reportCacheMetrics() }
        if let prefetcher, let nodeCache {
            nodeCache.onLowWater = { [weak prefetcher] in prefetcher?.enqueue(.populate) }
            prefetcher.start(serving: CacheLoader(
                environment: environment, tables: tables, nodeCache: nodeCache, dimension: dimension, metric: schema.metric,
                parameters: schema.hnsw, codecs: codecs, scratches: scratches, locations: locations, locationGate: locationGate))
            if prefetch.warmStart {
                locationGate.hold()
                if prefetcher.enqueue(.warmStart) {
                    // a store the budget holds whole is loaded by the warm start right after the
                    // first search: that search leaves filling to it (each fill would fault in
                    // fresh cache pages, doubling the first answer's time, for entries loaded anyway)
                    if let bound = openedNodeBound, nodeCache.holdsWhole(nodes: bound) { nodeCache.isLoadingWhole = true }
                } else {
                    locationGate.release()
                }
            }
        }
    }

    deinit {
        prefetcher?.stop()
    }

    /// Publishes the node cache's statistics to swift-metrics now (they are also published every
    /// few tens of thousands of cache lookups).
    public func reportCacheMetrics() {
        if let cacheMetrics, let statistics = cacheStatistics { cacheMetrics.report(statistics) }
    }

    /// Waits until the prefetchers have loaded everything asked of them so far (a warm start
    /// included): for measurements that must not race them.
    public func waitForPrefetches() {
        prefetcher?.waitUntilIdle()
    }

    /// Reads and checks the schema of an existing store, then opens its tables.
    private static func openExisting(
        environment: Environment, txn: Transaction, options: StoreOptions, path: String
    ) throws -> (StoreTables, StoreSchema) {
        guard let meta = try environment.openTable("meta", create: false, in: txn),
              let format = try txn.integer(.formatVersion, in: meta, as: UInt32.self)
        else { throw StoreError.notAStore(path: path) }
        guard format <= MetaKey.currentFormatVersion else {
            throw StoreError.newerFormat(found: format, supported: MetaKey.currentFormatVersion)
        }
        guard format >= MetaKey.oldestReadableFormatVersion else {
            throw StoreError.olderFormat(found: format, supported: MetaKey.oldestReadableFormatVersion)
        }
        guard var tables = try StoreTables.open(in: environment, txn: txn, create: false),
              let schema = try StoreSchema.read(from: tables.meta, in: txn)
        else { throw StoreError.notAStore(path: path) }
        tables.vectorSlots = schema.vectorSlots
        if let requested = options.dimension, requested != schema.dimension {
            throw StoreError.configurationMismatch(field: "dimension", stored: "\(schema.dimension)", requested: "\(requested)")
        }
        if let requested = options.metric, requested != schema.metric {
            throw StoreError.configurationMismatch(field: "metric", stored: schema.metric.rawValue, requested: requested.rawValue)
        }
        if let requested = options.encoding, requested != schema.encoding {
            throw StoreError.configurationMismatch(field: "encoding", stored: schema.encoding.rawValue, requested: requested.rawValue)
        }
        if let requested = options.hnsw?.m, requested != schema.hnsw.m {
            throw StoreError.configurationMismatch(field: "M", stored: "\(schema.hnsw.m)", requested: "\(requested)")
        }
        return (tables, schema)
    }

    /// Runs `body` on a consistent snapshot of the store. Many reads run at once, on any thread,
    /// and never wait for the writer. The transaction must not escape `body`.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        try environment.read { txn in
            let reader = ReadTransaction(store: self, txn: txn)
            defer { reader.finish() }
            return try body(reader)
        }
    }

    /// Runs `body` in a write transaction: commits when it returns (durable as the store's
    /// `Durability` promises), rolls back everything when it throws. Writers are serialized: in
    /// this process by a lock, across processes by LMDB. The transaction must not escape `body`.
    ///
    /// `body` may run more than once. When LMDB runs out of map space (`MDB_MAP_FULL`) in a call
    /// inside `body` (and that error leaves `body`) or at the commit, the transaction is rolled
    /// back, the map doubles (up to `StoreOptions.mapSizeCap`) and `body` runs again from the
    /// start in a new transaction, once more for every doubling needed; only the last run
    /// commits, and its value is returned. So `body` must do nothing outside the transaction
    /// that a rolled-back run would leave behind (appending to an outer array, counting, sending
    /// a message): derive such things from the returned value. An error of any other kind ends
    /// the write at once, rolled back. At the cap the write throws
    /// `StoreError.mapSizeCapReached` and nothing of it is committed. With the default
    /// `initialMapSize` (256 GiB of address space) the map practically never grows.
    ///
    /// Inside `body`, write through the transaction it is given. A write of this store object,
    /// or of another store object on the same directory, started on the same thread (`put`,
    /// `delete`, `write`, …) throws `StoreError.nestedWrite` and writes nothing: LMDB allows one
    /// write transaction at a time, so it would wait for itself forever. Unless `body` catches
    /// that error, it rolls the outer transaction back too.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        var transactionID = 0
        do {
            let result = try environment.write { txn in
                transactionID = txn.snapshotID
                writerCache.begin(transactionID: transactionID)
                reachability.begin(transactionID: transactionID)
                nodeCache?.writerBegins(UInt64(transactionID))
                let writer = WriteTransaction(store: self, txn: txn)
                defer { writer.finish() }
                do {
                    let result = try body(writer)
                    try writer.keepGraphReachable()
                    // the hot set rides along with the application's own commits, at most once a
                    // minute: no extra transaction, and readers never write
                    if hotSetSchedule.isDue() { try writeHotSet(in: writer) }
                    return result
                } catch {
                    // before the abort releases LMDB's writer lock (see `writerAbandoned`)
                    nodeCache?.writerAbandoned(UInt64(transactionID))
                    throw error
                }
            }
            writerCache.committed(transactionID: transactionID)
            reachability.committed(transactionID: transactionID)
            nodeCache?.writerCommitted(UInt64(transactionID))
            return result
        } catch {
            // nothing began (a nested write of this thread: the outer transaction goes on)
            guard transactionID != 0 else { throw error }
            writerCache.rolledBack()
            reachability.rolledBack()
            // a failed commit: LMDB released the writer lock inside mdb_txn_commit, so a reader
            // of this process could, for the moment until here, take another writer's commit of
            // the same id for this one (docs/architecture.md, "Caches")
            nodeCache?.writerAbandoned(UInt64(transactionID))
            throw error
        }
    }

    /// Flushes all committed data to disk; needed only under `Durability.noSync`.
    public func sync() throws {
        try environment.sync()
    }

    /// Reader slots of dead processes that were cleared when the environment was opened.
    public var staleReadersCleared: Int { environment.staleReadersCleared }

    private static func validate(_ options: StoreOptions) throws(StoreError) {
        if let dimension = options.dimension, !(1...StoreOptions.maximumDimension).contains(dimension) {
            throw .invalidArgument("dimension must be 1…\(StoreOptions.maximumDimension), got \(dimension)")
        }
        try options.hnsw?.validate()
        if let cap = options.mapSizeCap, cap < 1 << 20 {
            throw .invalidArgument("map size cap must be at least 1 MiB, got \(cap) bytes")
        }
        guard options.initialMapSize >= 1 << 16 else {
            throw .invalidArgument("initial map size must be at least 64 KiB, got \(options.initialMapSize) bytes")
        }
    }
}
