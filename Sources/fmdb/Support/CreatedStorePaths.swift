import Foundation

/// What a new store's directory held before `fmdb import` created the store, so a failed first
/// write can take away exactly what the import added.
struct CreatedPaths {
    let store: String
    let directoryExisted: Bool
    let existingFiles: Set<String>

    init(store: String) {
        self.store = store
        var isDirectory: ObjCBool = false
        directoryExisted = FileManager.default.fileExists(atPath: store, isDirectory: &isDirectory) && isDirectory.boolValue
        existingFiles = Set(directoryExisted ? (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? [] : [])
    }

    /// Removes the files the store added (and its directory when the import made it); returns
    /// whether all of them went.
    func remove() -> Bool {
        var removedAll = true
        for name in ["data.mdb", "lock.mdb"] where !existingFiles.contains(name) {
            let path = store + "/" + name
            if FileManager.default.fileExists(atPath: path) {
                removedAll = (try? FileManager.default.removeItem(atPath: path)) != nil && removedAll
            }
        }
        if !directoryExisted, (try? FileManager.default.contentsOfDirectory(atPath: store))?.isEmpty == true {
            removedAll = (try? FileManager.default.removeItem(atPath: store)) != nil && removedAll
        }
        return removedAll
    }
}
