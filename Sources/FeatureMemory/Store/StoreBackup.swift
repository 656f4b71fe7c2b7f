import Foundation

/// What `FeatureStore.backup(from:to:compact:)` wrote.
public struct BackupReport: Sendable, Codable, Equatable {
    /// Size of the source store's `data.mdb` when the copy was made.
    public var sourceBytes: Int
    /// Size of the copy's `data.mdb`.
    public var copyBytes: Int
}

/// Consistent copies of a store in use.
extension FeatureStore {
    /// Writes a consistent copy of the store in `source`, as of one snapshot, into `destination`
    /// (a new or empty directory), leaving out free pages when `compact`. The store may be in use
    /// meanwhile, in this process (store objects open on `source`, whatever their options, share
    /// their environment with the backup) and in others: readers and the writer go on.
    ///
    /// The copy is written under a temporary name, flushed, and only then named `data.mdb`: a
    /// backup that fails or is killed leaves nothing that looks like a store (the next backup
    /// into that directory removes what a killed one left). The corresponding LMDB call is
    /// `mdb_env_copyfd2`.
    public static func backup(from source: URL, to destination: URL, compact: Bool = true) throws -> BackupReport {
        let store = try FeatureStore(at: source, options: .maintenance, joiningOpenEnvironment: true)
        return try store.writeBackup(to: destination, compact: compact)
    }

    /// Writes a consistent copy of this store into `destination`.
    @available(*, deprecated, message: "use FeatureStore.backup(from: store.directory, to:compact:), which returns a BackupReport")
    public func backup(to destination: URL, compact: Bool = true) throws {
        _ = try writeBackup(to: destination, compact: compact)
    }

    /// The backup of this store object's environment into `destination`.
    private func writeBackup(to destination: URL, compact: Bool) throws -> BackupReport {
        let fileManager = FileManager.default
        let path = destination.path
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StoreError.io(path: path, reason: "not a directory") }
            StagedFile.removeAbandoned(in: path)
            let entries = (try? fileManager.contentsOfDirectory(atPath: path)) ?? []
            guard entries.isEmpty else {
                throw StoreError.io(path: path, reason: "not empty; a backup goes into a new or empty directory")
            }
        } else {
            do {
                try fileManager.createDirectory(at: destination, withIntermediateDirectories: true)
            } catch {
                throw StoreError.io(path: path, reason: "cannot create the directory: \(error.localizedDescription)")
            }
        }
        let sourceBytes = try environment.info().fileSize
        let staged = try StagedFile(directory: path, purpose: "backup")
        try environment.copy(toDescriptor: staged.descriptor, compact: compact)
        try staged.sync()
        try staged.install(as: "data.mdb")
        let copyBytes = (try? fileManager.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        return BackupReport(sourceBytes: sourceBytes, copyBytes: copyBytes)
    }
}

extension StoreOptions {
    /// How maintenance (a backup, a compaction) opens a store: existing stores only, no caches,
    /// no prefetching, so that nothing runs or stays behind after the call.
    static var maintenance: StoreOptions {
        StoreOptions(
            createIfMissing: false, writeCacheBytes: 0, cacheBytes: 0,
            prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false), resultCacheEntries: 0)
    }
}
