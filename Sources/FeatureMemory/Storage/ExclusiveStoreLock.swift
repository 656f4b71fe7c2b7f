#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock LMDB itself uses to learn whether it is the environment's only user: every process that
/// has the environment open holds a shared `fcntl` lock on byte 0 of `lock.mdb`. Taking it
/// exclusively therefore proves no other process has the store open, and while it is held, an
/// opener waits. The caller must not have the environment open itself.
enum ExclusiveStoreLock {
    /// Runs `body` while no other process has the store in `directory` open; throws when one has.
    static func withLock<R>(directory: String, _ body: () throws -> R) throws -> R {
        let path = directory + "/lock.mdb"
        let descriptor = open(path, O_RDWR)
        guard descriptor >= 0 else {
            throw StoreError.io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 1
        guard fcntl(descriptor, F_SETLK, &lock) == 0 else {
            throw StoreError.io(path: directory, reason: "the store is open in another process; stop it first (or use fmdb backup)")
        }
        defer {
            lock.l_type = Int16(F_UNLCK)
            _ = fcntl(descriptor, F_SETLK, &lock)
        }
        return try body()
    }
}
