import Foundation

/// Consistent copies of a live store.
extension FeatureStore {
    /// Writes a consistent copy of the store, as of one snapshot, into `destination` (a new or
    /// empty directory), leaving out free pages when `compact`. Readers and the writer go on
    /// meanwhile. The corresponding LMDB call is `mdb_env_copy2`.
    public func backup(to destination: URL, compact: Bool = true) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StoreError.io(path: destination.path, reason: "not a directory") }
            let entries = (try? fileManager.contentsOfDirectory(atPath: destination.path)) ?? []
            guard entries.isEmpty else {
                throw StoreError.io(path: destination.path, reason: "not empty; a backup goes into a new or empty directory")
            }
        } else {
            do {
                try fileManager.createDirectory(at: destination, withIntermediateDirectories: true)
            } catch {
                throw StoreError.io(path: destination.path, reason: "cannot create the directory: \(error.localizedDescription)")
            }
        }
        do {
            try environment.copy(toDirectory: destination.path, compact: compact)
        } catch {
            // leave no half-written copy behind
            try? fileManager.removeItem(at: destination.appendingPathComponent("data.mdb"))
            throw error
        }
    }
}
