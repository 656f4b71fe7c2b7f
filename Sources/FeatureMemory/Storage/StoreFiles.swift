#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recognizing a store's files on disk, for tools that write other files and must never replace
/// one: the LMDB layout knowledge stays here, beside `LMDBPage`, rather than in every such tool.
public enum StoreFiles {
    /// Whether `directory` holds a store (an LMDB environment's `data.mdb` or `lock.mdb`).
    public static func isStoreDirectory(_ directory: String) -> Bool {
        var info = stat()
        return lstat(directory + "/data.mdb", &info) == 0 || lstat(directory + "/lock.mdb", &info) == 0
    }

    /// Whether the file at `path` starts like an LMDB data file (the meta page's magic after the
    /// 16-byte page header) or lock file (the magic first), wherever it lies and whatever its name.
    public static func isLMDBFile(_ path: String) -> Bool {
        // O_NONBLOCK: a FIFO put where a file was expected must not hang the check
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 20)
        guard read(fd, &header, 20) == 20 else { return false }
        let magic = withUnsafeBytes(of: LMDBPage.magic.littleEndian) { Array($0) }
        return Array(header[16..<20]) == magic || Array(header[0..<4]) == magic
    }
}
