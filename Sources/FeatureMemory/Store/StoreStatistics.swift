/// Counts, sizes and page use of a store, as `fmdb stats` shows them.
public struct StoreStatistics: Sendable, Codable, Equatable {
    /// The store's on-disk format version.
    public var formatVersion: UInt32
    /// Floats per vector.
    public var dimension: Int
    /// The distance metric.
    public var metric: Metric
    /// The precision vectors are stored in.
    public var encoding: VectorEncoding = .f32
    /// Live vectors.
    public var count: Int
    /// Bytes the live vectors take as float32.
    public var rawVectorBytes: Int
    /// Bytes their payloads take as stored (compressed or raw), headers excluded.
    public var storedVectorBytes: Int
    /// `rawVectorBytes / storedVectorBytes`; 1 when nothing compresses, 0 for an empty store.
    public var compressionRatio: Double
    /// Vector records stored LZ4-compressed.
    public var compressedRecords: Int
    /// Size of `data.mdb` on disk.
    public var fileBytes: Int
    /// Bytes of the map in use (pages up to the last one written).
    public var usedBytes: Int
    /// The current map size; it grows when a write fills it.
    public var mapBytes: Int
    /// The LMDB page size.
    public var pageSize: Int
    /// Pages freed by deletes and updates, reused by later writes.
    public var freePages: Int
    /// Reader slots in use (all processes), and their number.
    public var readersInUse: Int
    /// Reader slots available.
    public var maxReaders: Int
    /// Stale reader slots of dead processes cleared at open.
    public var staleReadersCleared: Int
    /// The last committed transaction's id.
    public var lastTransactionID: Int
    /// Page use per table.
    public var tables: [TableStatistics]
    /// Nodes in the saved hot set a warm start loads.
    public var hotSetNodes: Int = 0
    /// Entries in the saved node cache image (loaded whole when the store is at its snapshot).
    public var cacheImageEntries: Int = 0
    /// The node cache's statistics as the last opening that saved its hot set left them.
    public var savedCacheStatistics: CacheStatistics?
    /// This opening's node cache (nil when it has none).
    public var cache: CacheStatistics?
}

extension FeatureStore {
    /// Counts, sizes and page use, read in one snapshot.
    public func statistics() throws -> StoreStatistics {
        let info = try environment.info()
        return try read { reader in
            let txn = reader.txn
            let meta = tables.meta
            let raw = Int(clamping: try txn.integer(.rawVectorBytes, in: meta, as: UInt64.self) ?? 0)
            let stored = Int(clamping: try txn.integer(.storedVectorBytes, in: meta, as: UInt64.self) ?? 0)
            var compressed = 0
            try tables.forEachVectorRecord(in: txn) { _, record in
                if VectorCodec.codec(of: record) == .shuffledLZ4 { compressed += 1 }
                return true
            }
            let tableStats = try tables.all.map { table throws(StoreError) in try txn.statistics(of: table) }
            let freePages = try environment.freePageCount(in: txn)
            return StoreStatistics(
                formatVersion: formatVersion, dimension: dimension, metric: metric, encoding: encoding, count: try reader.count(),
                rawVectorBytes: raw, storedVectorBytes: stored,
                compressionRatio: stored > 0 ? Double(raw) / Double(stored) : 0,
                compressedRecords: compressed, fileBytes: info.fileSize, usedBytes: info.usedBytes,
                mapBytes: info.mapSize, pageSize: info.pageSize, freePages: freePages,
                readersInUse: info.readersInUse, maxReaders: info.maxReaders,
                staleReadersCleared: environment.staleReadersCleared,
                lastTransactionID: info.lastTransactionID, tables: tableStats,
                hotSetNodes: try reader.savedHotSet().count, cacheImageEntries: try reader.savedCacheImageEntries(),
                savedCacheStatistics: try reader.savedCacheStatistics(), cache: cacheStatistics)
        }
    }
}
