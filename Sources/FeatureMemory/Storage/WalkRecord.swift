import Foundation

/// What an opening's page walk found sound, kept beside the data file (`data.mdb.checked`) so
/// that the next opening of the same, unchanged file skips the walk: the file's device, inode,
/// size, modification and change times, and the meta page's transaction id.
///
/// Any write to the file through the file system (LMDB's commits, a copy over it, damage by a
/// tool or a test) sets its change time, which no user can set back, so a changed file never
/// matches an old record and is walked again. The kernel stamps times from a coarse clock (a few
/// milliseconds), so a write in the same tick as the last one may leave the change time as it
/// was: a record is only written for a file unchanged for `settledAfter`, and a file changed
/// within a tick of the record's walk is walked at every opening until it settles.
/// `fmdb verify` never uses the record.
struct WalkRecord: Equatable {
    /// How long a file must have been unchanged before a walk of it is recorded.
    static let settledAfter: TimeInterval = 2
    /// The record's file name beside `data.mdb`.
    static let suffix = ".checked"

    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec
    var transactionID: UInt64
    /// Whether every page was read (otherwise branch pages only).
    var everyPage: Bool

    /// The record `file`'s state would have, walked at `depth`; nil when it cannot be read.
    init?(file: DataFile, everyPage: Bool) {
        guard let status = file.status() else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modified = status.st_mtim
        changed = status.st_ctim
        transactionID = file.meta.transactionID
        self.everyPage = everyPage
    }

    private init(device: UInt64, inode: UInt64, size: Int64, modified: timespec, changed: timespec, transactionID: UInt64, everyPage: Bool) {
        (self.device, self.inode, self.size, self.modified, self.changed) = (device, inode, size, modified, changed)
        (self.transactionID, self.everyPage) = (transactionID, everyPage)
    }

    static func == (a: WalkRecord, b: WalkRecord) -> Bool {
        a.line == b.line
    }

    /// Whether a walk recorded as `self` covers an opening that needs `everyPage`.
    func covers(_ other: WalkRecord) -> Bool {
        var needed = other
        needed.everyPage = everyPage
        return needed == self && (everyPage || !other.everyPage)
    }

    /// Whether the file was last changed at least `settledAfter` before `now`.
    func isSettled(now: Date = Date()) -> Bool {
        let changedAt = Double(changed.tv_sec) + Double(changed.tv_nsec) / 1e9
        return now.timeIntervalSince1970 - changedAt >= Self.settledAfter
    }

    private var line: String {
        "walked 1 \(device) \(inode) \(size) \(modified.tv_sec).\(modified.tv_nsec) \(changed.tv_sec).\(changed.tv_nsec) \(transactionID) \(everyPage ? "every-page" : "branch-pages")\n"
    }

    /// The record saved beside the data file at `dataPath`; nil when there is none or it does not parse.
    static func load(beside dataPath: String) -> WalkRecord? {
        guard let handle = FileHandle(forReadingAtPath: dataPath + suffix) else { return nil }
        defer { try? handle.close() }
        guard let bytes = try? handle.read(upToCount: 512), let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard fields.count == 9, fields[0] == "walked", fields[1] == "1",
              let device = UInt64(fields[2]), let inode = UInt64(fields[3]), let size = Int64(fields[4]),
              let modified = timespec(text: fields[5]), let changed = timespec(text: fields[6]),
              let transactionID = UInt64(fields[7]), ["every-page", "branch-pages"].contains(fields[8])
        else { return nil }
        return WalkRecord(device: device, inode: inode, size: size, modified: modified, changed: changed,
                          transactionID: transactionID, everyPage: fields[8] == "every-page")
    }

    /// Saves the record beside the data file at `dataPath`, replacing any other at once; a
    /// directory that cannot be written only means the next opening walks again.
    func save(beside dataPath: String) {
        let target = dataPath + Self.suffix
        let temporary = target + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(line.utf8)) else { return }
        if rename(temporary, target) != 0 { unlink(temporary) }
    }

    /// Removes the record beside the data file at `dataPath`, if any.
    static func remove(beside dataPath: String) {
        unlink(dataPath + suffix)
    }
}

private extension timespec {
    init?(text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let seconds = Int(parts[0]), let nanoseconds = Int(parts[1]) else { return nil }
        self.init(tv_sec: seconds, tv_nsec: nanoseconds)
    }
}
