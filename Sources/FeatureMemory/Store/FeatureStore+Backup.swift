import Foundation

/// Consistent copies of a live store.
extension FeatureStore {
    /// Writes a consistent copy of the store, as of one snapshot, into `destination` (a new or
    /// empty directory), leaving out free pages when `compact`. Readers and the writer go on
    /// meanwhile. The copy is written under a temporary name, flushed, and only then named
    /// `data.mdb`: a backup that fails or is killed leaves nothing that looks like a store (the
    /// next backup into that directory removes what a killed one left). The corresponding LMDB
    /// call is `mdb_env_copyfd2`.
    public func backup(to destination: URL, compact: Bool = true) throws {
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
        let staged = try StagedFile(directory: path, purpose: "backup")
        try environment.copy(toDescriptor: staged.descriptor, compact: compact)
        try staged.sync()
        try staged.install(as: "data.mdb")
    }
}
