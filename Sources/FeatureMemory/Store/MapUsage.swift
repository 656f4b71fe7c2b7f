/// How full a store's LMDB map is, cheap enough to read on every metrics scrape (no walk of the
/// tables, unlike `statistics()`).
public struct MapUsage: Sendable, Equatable {
    /// Bytes of the map in use: every page up to the last one written.
    public var usedBytes: Int
    /// The current map size; it grows when a write fills it.
    public var mapBytes: Int
    /// The size the map may grow to (`StoreOptions.mapSizeCap`); nil when only the disk limits it.
    public var capBytes: Int?
    /// Size of `data.mdb` on disk.
    public var fileBytes: Int
}

extension FeatureStore {
    /// How full the map is now. The corresponding LMDB calls are `mdb_env_info` and `mdb_env_stat`.
    public func mapUsage() throws -> MapUsage {
        let info = try environment.info(countingReaders: false)
        return MapUsage(
            usedBytes: info.usedBytes, mapBytes: info.mapSize, capBytes: environment.configuration.mapSizeCap,
            fileBytes: info.fileSize)
    }
}

extension FeatureStore {
    /// Bytes of the file in free pages: pages copy-on-write left behind, which later writes reuse
    /// and `compact(at:)` drops.
    public func freeBytes() throws -> Int {
        let pageSize = try environment.info(countingReaders: false).pageSize
        return try read { reader in try environment.freePageCount(in: reader.txn) } * pageSize
    }
}
