import Foundation

/// What `FeatureStore.compact(at:)` did.
public struct CompactionReport: Sendable, Codable, Equatable {
    /// Size of `data.mdb` before.
    public var bytesBefore: Int
    /// Size of `data.mdb` after.
    public var bytesAfter: Int
    /// Whether the nodes were renumbered in graph order (`compact(at:renumber:)`).
    public var renumbered = false
    /// Why they were not, when renumbering was asked for and the store was copied page by page.
    public var notRenumbered: String?
}

/// Rewriting a store without its free pages.
extension FeatureStore {
    /// Rewrites the store in `directory` without free pages, in place. The store must not be open
    /// in this process or any other, and nothing may commit while the copy is made: otherwise
    /// this throws and the store is as it was.
    ///
    /// The compacted copy is written beside `data.mdb` under a temporary name and flushed. Then,
    /// holding LMDB's own lock exclusively (so an opener waits), the swap checks that the file's
    /// last committed transaction is still the one copied, renames the copy over `data.mdb`, and
    /// opens the environment once so LMDB rebuilds its lock file for the new file: a process that
    /// waited would otherwise take the old file's transaction number from the lock file and read
    /// the copy's blank meta page, an empty store. A compaction that fails or is killed leaves
    /// the store intact; the next one removes the temporary file it left.
    ///
    /// With `renumber`, the copy numbers the nodes in graph order (`StoreRenumbering`): records
    /// of graph neighbours then share pages, so a search reads fewer of them. A store whose
    /// records do not all read and agree (damage `repair` should see first) is copied as it is.
    public static func compact(at directory: URL, renumber: Bool = true) throws -> CompactionReport {
        let path = directory.path
        let dataPath = path + "/data.mdb"
        guard FileManager.default.fileExists(atPath: dataPath) else { throw StoreError.storeNotFound(path: path) }
        guard !EnvironmentRegistry.shared.isOpen(directory: path) else {
            throw StoreError.io(path: path, reason: "the store is open in this process; close it before compacting")
        }
        ScratchEnvironmentDirectory.removeAbandoned(in: path)
        do {
            if renumber {
                do {
                    return try compactOnce(at: directory, renumber: true)
                } catch is ChangedDuringCopy {
                    // renumbering takes longer than a page copy: one that a busy store's writers
                    // keep overtaking still gets its free pages compacted away
                    var report = try compactOnce(at: directory, renumber: false)
                    report.notRenumbered = "the store changed while it was being renumbered"
                    return report
                }
            }
            return try compactOnce(at: directory, renumber: false)
        } catch is ChangedDuringCopy {
            throw StoreError.io(path: path, reason: "the store changed while it was being compacted; run compact again")
        }
    }

    /// Runs between a compaction's copy and its swap: tests change the store there.
    nonisolated(unsafe) static var afterCopy: (() throws -> Void)?

    /// A commit, or another compaction's swap, since the copy began.
    private struct ChangedDuringCopy: Error {}

    /// One copy and swap; throws `ChangedDuringCopy` when the file changed meanwhile.
    private static func compactOnce(at directory: URL, renumber: Bool) throws -> CompactionReport {
        let path = directory.path
        let dataPath = path + "/data.mdb"
        let before = size(dataPath)
        // refuse early, before copying, when another process has the store open
        try ExclusiveStoreLock.withLock(directory: path) {}
        // the file as well as its last transaction: a compaction's copy starts counting
        // transactions again (LMDB writes it as transaction 1), so another compaction's swap
        // could bring the same number back. Held open, the file keeps its inode to itself.
        let held = open(dataPath, O_RDONLY | O_CLOEXEC)
        defer { if held >= 0 { close(held) } }
        guard held >= 0, let file = fileIdentity(descriptor: held), let copied = try DataFile(path: dataPath)?.meta.transactionID else {
            throw StoreError.notAStore(path: path)
        }
        let staged = try StagedFile(directory: path, purpose: "compact")
        var report = CompactionReport(bytesBefore: before, bytesAfter: 0)
        do {
            // the copy is made from one snapshot; the store is closed again after it
            let store = try FeatureStore(at: directory, options: .maintenance)
            // an empty store has no nodes to number
            if renumber, try store.count() > 0 {
                let scratch = try ScratchEnvironmentDirectory(in: path, purpose: "renumber")
                defer { scratch.remove() }
                do {
                    let renumbered = try StoreRenumbering(source: store).write(into: scratch.path)
                    try renumbered.copy(toDescriptor: staged.descriptor, compact: true)
                    report.renumbered = true
                } catch let refusal as StoreRenumbering.NotRenumbered {
                    report.notRenumbered = refusal.description
                }
            }
            if !report.renumbered { try store.environment.copy(toDescriptor: staged.descriptor, compact: true) }
        }
        try staged.sync()
        try afterCopy?()
        try ExclusiveStoreLock.withLock(directory: path) {
            // a commit since the copy began (by a process that opened the store meanwhile)
            // would be lost by the swap
            guard fileIdentity(path: dataPath) == file, try DataFile(path: dataPath)?.meta.transactionID == copied else {
                throw ChangedDuringCopy()
            }
            try staged.install(as: "data.mdb")
            // opened while this process holds the lock, LMDB takes it exclusively and starts a
            // fresh lock file for the new data file; closing releases the lock to the waiters
            _ = try Environment(directory: path, configuration: Environment.Configuration())
        }
        report.bytesAfter = size(dataPath)
        return report
    }

    /// The device and inode of the file at `path`: a swap by another compaction gives
    /// `data.mdb` a new inode.
    private static func fileIdentity(path: String) -> [UInt64]? {
        fileIdentity { stat(path, &$0) }
    }

    /// The device and inode of the open file `descriptor`.
    private static func fileIdentity(descriptor: Int32) -> [UInt64]? {
        fileIdentity { fstat(descriptor, &$0) }
    }

    /// The device and inode `fill` (`stat` or `fstat`) reports, nil when it fails.
    private static func fileIdentity(_ fill: (inout stat) -> Int32) -> [UInt64]? {
        var status = stat()
        guard fill(&status) == 0 else { return nil }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    private static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

/// Rewriting a store without its free pages (the former spelling of `FeatureStore.compact(at:)`).
@available(*, deprecated, message: "use FeatureStore.compact(at:), which returns a CompactionReport")
public enum StoreCompaction {
    /// What a compaction did.
    public typealias Result = CompactionReport

    /// Rewrites the store in `directory` without free pages, in place.
    public static func compact(directory: URL) throws -> CompactionReport {
        try FeatureStore.compact(at: directory)
    }
}
