import Foundation

/// Rewriting a store without its free pages.
public enum StoreCompaction {
    /// What a compaction did.
    public struct Result: Sendable, Codable, Equatable {
        /// `data.mdb` before.
        public var bytesBefore: Int
        /// `data.mdb` after.
        public var bytesAfter: Int
    }

    /// Rewrites the store in `directory` without free pages, in place. The store must not be open
    /// in this process or any other: the compacted copy replaces `data.mdb` while LMDB's own
    /// lock is held, so an opener waits for the swap, and a process that already has the store
    /// open makes this throw before anything changes.
    public static func compact(directory: URL) throws -> Result {
        let path = directory.path
        let dataPath = path + "/data.mdb"
        let scratch = directory.appendingPathComponent(".compacting-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let before = Self.size(dataPath)
        // refuse early, before copying, when another process has the store open
        try ExclusiveStoreLock.withLock(directory: path) {}
        let stamp = Self.modification(dataPath)
        do {
            // the copy is made from a consistent snapshot; the store is closed again after it
            let store = try FeatureStore(at: directory, options: StoreOptions(createIfMissing: false))
            try store.backup(to: scratch, compact: true)
        }
        try ExclusiveStoreLock.withLock(directory: path) {
            // a commit by a process that opened the store meanwhile would be lost by the swap
            guard Self.modification(dataPath) == stamp else {
                throw StoreError.io(path: path, reason: "the store changed while it was being compacted; run compact again")
            }
            guard rename(scratch.path + "/data.mdb", dataPath) == 0 else {
                throw StoreError.io(path: dataPath, reason: "cannot replace it: \(String(cString: strerror(errno)))")
            }
        }
        return Result(bytesBefore: before, bytesAfter: Self.size(dataPath))
    }

    /// The file's modification time and size: any commit changes them.
    private static func modification(_ path: String) -> [Int] {
        var status = stat()
        guard stat(path, &status) == 0 else { return [] }
        return [Int(status.st_mtim.tv_sec), Int(status.st_mtim.tv_nsec), Int(status.st_size)]
    }

    private static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
