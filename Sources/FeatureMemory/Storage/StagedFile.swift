#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file written under a temporary name in the directory of its destination, then synced and
/// renamed into place, so the destination is either the old file or the whole new one.
///
/// While it is being written the file holds a `flock` (owned by its open file description, so
/// no other descriptor of this process can drop it); a file left by a killed process has no
/// holder, and `removeAbandoned(in:)` deletes it. Its name starts with a dot and never looks like
/// a store's `data.mdb`.
///
/// Public so that tools writing other files beside a store (fmdb's exports) stage them the same
/// way instead of again.
public final class StagedFile {
    /// Names of staged files start with this.
    static let prefix = ".fm-partial-"

    /// The directory the file is written in and renamed within.
    let directory: String
    /// The temporary path.
    let path: String
    /// The file's descriptor, open for reading and writing until `install` or `discard`.
    public let descriptor: Int32
    private var isOpen = true

    /// Creates an empty staged file in `directory`; `purpose` goes into its name.
    public init(directory: String, purpose: String) throws(StoreError) {
        self.directory = directory
        path = directory + "/" + Self.prefix + purpose + "-" + UUID().uuidString
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(path: directory, reason: "cannot create a file in it: \(Self.lastError())") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = Self.lastError()
            close(descriptor)
            unlink(path)
            throw .io(path: path, reason: "cannot lock it: \(reason)")
        }
    }

    deinit { discard() }

    /// Flushes the file's contents to the device.
    func sync() throws(StoreError) {
        guard fsync(descriptor) == 0 else { throw .io(path: path, reason: "cannot flush it to disk: \(Self.lastError())") }
    }

    /// Renames the file to `name` in its directory (replacing what was there) and flushes the
    /// directory, so the rename survives a power loss. Flush the file's contents to the device first.
    public func install(as name: String) throws(StoreError) {
        let destination = directory + "/" + name
        guard rename(path, destination) == 0 else {
            throw .io(path: destination, reason: "cannot replace it: \(Self.lastError())")
        }
        close(descriptor)
        isOpen = false
        try Self.syncDirectory(directory)
    }

    /// Deletes the file unless it was installed.
    public func discard() {
        guard isOpen else { return }
        unlink(path)
        close(descriptor)
        isOpen = false
    }

    /// Deletes staged files in `directory` (of `purpose` only, when given) that no live process
    /// is writing (left by a process that was killed); returns how many.
    @discardableResult
    public static func removeAbandoned(in directory: String, purpose: String? = nil) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        var removed = 0
        let wanted = prefix + (purpose.map { $0 + "-" } ?? "")
        for name in names where name.hasPrefix(wanted) {
            let path = directory + "/" + name
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            // a writer holds the lock for as long as it lives
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0, unlink(path) == 0 { removed += 1 }
            close(descriptor)
        }
        return removed
    }

    /// Flushes a directory's entries (a rename in it) to the device.
    static func syncDirectory(_ directory: String) throws(StoreError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: directory, reason: "cannot open it to flush: \(lastError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .io(path: directory, reason: "cannot flush it to disk: \(lastError())") }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
