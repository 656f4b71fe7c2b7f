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
public final class FeatureStore: Sendable {
    /// The store's directory.
    public let directory: URL
    /// Floats per vector, fixed at creation.
    public let dimension: Int
    /// The distance metric, fixed at creation.
    public let metric: Metric
    /// The on-disk format version of the store.
    public let formatVersion: UInt32
    /// Whether this opening created the store.
    public let wasCreated: Bool

    let environment: Environment
    let tables: StoreTables
    let codecs: ScratchPool<VectorCodec>

    /// Opens the store in `directory`, creating it when missing and `options.createIfMissing`.
    /// Dimension and metric in `options` must match an existing store's when given.
    public init(at directory: URL, options: StoreOptions = StoreOptions()) throws {
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
        let environment = try EnvironmentRegistry.shared.environment(directory: path, configuration: configuration).environment

        // An existing store opens in a read transaction, so opening never waits for a writer
        // (another process may be in the middle of a long import); only a new store, or one
        // missing a table, needs a write transaction.
        let existing = try environment.readKeepingTables { txn -> (StoreTables, UInt32, Int, Metric)? in
            guard !(try environment.mainTableIsEmpty(in: txn)),
                  let tables = try StoreTables.open(in: environment, txn: txn, create: false),
                  let format = try txn.integer(.formatVersion, in: tables.meta, as: UInt32.self)
            else { return nil }
            let (dimension, metric) = try Self.validateExisting(tables: tables, format: format, txn: txn, options: options, path: path)
            return (tables, format, dimension, metric)
        }
        let opened: (StoreTables, UInt32, Int, Metric, Bool)
        if let existing {
            opened = (existing.0, existing.1, existing.2, existing.3, false)
        } else {
            opened = try environment.tableLock.withLock { try environment.write { txn -> (StoreTables, UInt32, Int, Metric, Bool) in
                let isEmpty = try environment.mainTableIsEmpty(in: txn)
                let found = isEmpty ? nil : try StoreTables.open(in: environment, txn: txn, create: false)
                if let found, let format = try txn.integer(.formatVersion, in: found.meta, as: UInt32.self) {
                    // created by another opener since the read above
                    let (dimension, metric) = try Self.validateExisting(tables: found, format: format, txn: txn, options: options, path: path)
                    return (found, format, dimension, metric, false)
                }
                guard isEmpty else { throw StoreError.notAStore(path: path) }
                guard options.createIfMissing else { throw StoreError.storeNotFound(path: path) }
                guard let dimension = options.dimension else { throw StoreError.missingDimension }
                guard let tables = try StoreTables.open(in: environment, txn: txn, create: true) else {
                    throw StoreError.notAStore(path: path)
                }
                let metric = options.metric ?? .l2
                try txn.setInteger(MetaKey.currentFormatVersion, for: .formatVersion, in: tables.meta)
                try txn.setInteger(UInt32(dimension), for: .dimension, in: tables.meta)
                try txn.setInteger(metric.storedCode, for: .metric, in: tables.meta)
                try txn.setInteger(Date().timeIntervalSince1970.bitPattern, for: .createdAt, in: tables.meta)
                try txn.setInteger(UInt64(0), for: .count, in: tables.meta)
                try txn.setInteger(UInt32(0), for: .nextNode, in: tables.meta)
                return (tables, MetaKey.currentFormatVersion, dimension, metric, true)
            } }
        }
        self.directory = directory
        self.environment = environment
        self.tables = opened.0
        self.formatVersion = opened.1
        self.dimension = opened.2
        self.metric = opened.3
        self.wasCreated = opened.4
        let dimension = opened.2
        self.codecs = ScratchPool { VectorCodec(dimension: dimension) }
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
    /// `Durability` promises), rolls back everything when it throws. Writers are serialized.
    /// `body` may run again if the map had to grow, so keep side effects out of it.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try environment.write { txn in
            let writer = WriteTransaction(store: self, txn: txn)
            defer { writer.finish() }
            return try body(writer)
        }
    }

    /// Flushes all committed data to disk; needed only under `Durability.noSync`.
    public func sync() throws {
        try environment.sync()
    }

    /// Reader slots of dead processes that were cleared when the environment was opened.
    public var staleReadersCleared: Int { environment.staleReadersCleared }

    /// Checks an existing store's format, dimension and metric against `options`.
    private static func validateExisting(
        tables: StoreTables, format: UInt32, txn: Transaction, options: StoreOptions, path: String
    ) throws -> (Int, Metric) {
        guard format <= MetaKey.currentFormatVersion else {
            throw StoreError.newerFormat(found: format, supported: MetaKey.currentFormatVersion)
        }
        guard let storedDimension = try txn.integer(.dimension, in: tables.meta, as: UInt32.self),
              let code = try txn.integer(.metric, in: tables.meta, as: UInt8.self),
              let storedMetric = Metric(storedCode: code)
        else { throw StoreError.notAStore(path: path) }
        if let requested = options.dimension, requested != Int(storedDimension) {
            throw StoreError.configurationMismatch(field: "dimension", stored: "\(storedDimension)", requested: "\(requested)")
        }
        if let requested = options.metric, requested != storedMetric {
            throw StoreError.configurationMismatch(field: "metric", stored: storedMetric.rawValue, requested: requested.rawValue)
        }
        return (Int(storedDimension), storedMetric)
    }

    private static func validate(_ options: StoreOptions) throws(StoreError) {
        if let dimension = options.dimension, !(1...StoreOptions.maximumDimension).contains(dimension) {
            throw .invalidArgument("dimension must be 1…\(StoreOptions.maximumDimension), got \(dimension)")
        }
        if let cap = options.mapSizeCap, cap < 1 << 20 {
            throw .invalidArgument("map size cap must be at least 1 MiB, got \(cap) bytes")
        }
        guard options.initialMapSize >= 1 << 16 else {
            throw .invalidArgument("initial map size must be at least 64 KiB, got \(options.initialMapSize) bytes")
        }
    }
}
