internal import CLMDB

/// A result code from an `mdb_*` call: an LMDB error or an errno value.
public struct LMDBCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw code as LMDB returned it.
    public let rawValue: Int32

    /// Wraps a raw LMDB or errno code.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The key was not found (`MDB_NOTFOUND`).
    public static let notFound = LMDBCode(rawValue: MDB_NOTFOUND)
    /// The environment's map is full (`MDB_MAP_FULL`).
    public static let mapFull = LMDBCode(rawValue: MDB_MAP_FULL)
    /// Another process grew the map beyond this one's view (`MDB_MAP_RESIZED`).
    public static let mapResized = LMDBCode(rawValue: MDB_MAP_RESIZED)
    /// The file is not an LMDB file (`MDB_INVALID`).
    public static let invalid = LMDBCode(rawValue: MDB_INVALID)
    /// The environment's version does not match this library's (`MDB_VERSION_MISMATCH`).
    public static let versionMismatch = LMDBCode(rawValue: MDB_VERSION_MISMATCH)
    /// Every reader slot is taken (`MDB_READERS_FULL`).
    public static let readersFull = LMDBCode(rawValue: MDB_READERS_FULL)
    /// The transaction has too many dirty pages (`MDB_TXN_FULL`).
    public static let transactionFull = LMDBCode(rawValue: MDB_TXN_FULL)
    /// A page or a record of the file is damaged (`MDB_CORRUPTED`).
    public static let corrupted = LMDBCode(rawValue: MDB_CORRUPTED)
    /// The environment had a fatal error and must be closed (`MDB_PANIC`).
    public static let panic = LMDBCode(rawValue: MDB_PANIC)
    /// The disk is full (`ENOSPC`).
    public static let noSpace = LMDBCode(rawValue: 28)

    /// LMDB's own text for the code ("MDB_MAP_FULL: Environment mapsize limit reached"),
    /// `strerror` for errno values.
    public var description: String { String(cString: mdb_strerror(rawValue)) }
}

/// Throws `StoreError.storage` unless an `mdb_*` call succeeded.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(StoreError) {
    guard code == MDB_SUCCESS else {
        throw .storage(LMDBCode(rawValue: code), operation: operation())
    }
}
