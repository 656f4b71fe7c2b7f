#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The newest valid meta page of an LMDB data file, read with `pread` and no environment open:
/// which transaction the file last committed, its page size and its last page.
///
/// LMDB keeps two meta pages (pages 0 and 1) and writes them alternately; the valid one with the
/// higher transaction id is the file's state. Reading them directly lets a file swap (compaction)
/// prove under LMDB's exclusive lock that nothing was committed since its copy began.
struct DataFileMeta: Equatable, Sendable {
    /// The last committed transaction.
    var transactionID: UInt64
    /// Bytes per page.
    var pageSize: Int
    /// The highest page number in use.
    var lastPage: UInt64

    /// LMDB's magic number, `MDB_MAGIC`.
    static let magic: UInt32 = 0xBEEF_C0DE
    // MDB_meta sits after the 16-byte page header: magic, version, address, map size, two
    // 48-byte table records (the first one's pad field holds the page size), last page, txn id
    private static let magicOffset = 16
    private static let pageSizeOffset = 40
    private static let lastPageOffset = 136
    private static let transactionOffset = 144
    private static let metaBytes = 152

    /// Reads the meta pages of the data file at `path`; nil when the file cannot be opened or
    /// neither meta page is valid.
    static func read(path: String) -> DataFileMeta? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let first = readPage(descriptor, offset: 0) else { return nil }
        let second = (512...65_536).contains(first.pageSize) ? readPage(descriptor, offset: first.pageSize) : nil
        guard let second, second.pageSize == first.pageSize else { return first }
        return second.transactionID > first.transactionID ? second : first
    }

    private static func readPage(_ descriptor: Int32, offset: Int) -> DataFileMeta? {
        var bytes = [UInt8](repeating: 0, count: metaBytes)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, metaBytes, off_t(offset)) }
        guard count == metaBytes else { return nil }
        return bytes.withUnsafeBytes { raw -> DataFileMeta? in
            guard raw.loadUnaligned(fromByteOffset: magicOffset, as: UInt32.self) == magic else { return nil }
            let pageSize = Int(raw.loadUnaligned(fromByteOffset: pageSizeOffset, as: UInt32.self))
            guard (512...65_536).contains(pageSize) else { return nil }
            return DataFileMeta(
                transactionID: raw.loadUnaligned(fromByteOffset: transactionOffset, as: UInt64.self),
                pageSize: pageSize,
                lastPage: raw.loadUnaligned(fromByteOffset: lastPageOffset, as: UInt64.self))
        }
    }
}
