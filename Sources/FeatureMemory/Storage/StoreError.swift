/// Why an operation failed; the store is unchanged.
///
/// Every call of the store API throws a `StoreError` and nothing else, except `read`, `write`
/// and `ReadTransaction.forEach`, which also pass on what their body throws. The calls are
/// declared `throws`, not `throws(StoreError)`: with Swift 6.3, a `catch StoreError.someCase`
/// clause around a call declared `throws(StoreError)` can crash the caller's compilation
/// ("Found ownership error?!", swiftlang/swift#86924). Catch with `catch let error as StoreError`.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The vector's length is not the store's dimension.
    case dimensionMismatch(expected: Int, actual: Int)
    /// The vector has no elements.
    case emptyVector
    /// The element at `index` is NaN or infinite.
    case nonFinite(index: Int)
    /// The vector is zero (or shorter than 1e-18), which the cosine metric cannot compare.
    case zeroVector
    /// The vector's length does not fit in float32.
    case vectorTooLarge
    /// No vector is stored under this id.
    case unknownID(UInt64)
    /// A label is empty, too long or otherwise unusable.
    case invalidLabel(String)
    /// An argument is out of range; the text says which and why.
    case invalidArgument(String)
    /// The record of internal node `node` failed its checksum or layout check.
    case corruptRecord(node: UInt32)
    /// The graph record of internal node `node` failed its checksum or layout check.
    case corruptGraph(node: UInt32)
    /// The store was written by an older format this version cannot open.
    case olderFormat(found: UInt32, supported: UInt32)
    /// An index entry (for example `keys` for an id) is malformed.
    case corruptEntry(table: String, key: String)
    /// The item at `index` of a batch failed; the whole batch was rolled back.
    indirect case batchItem(index: Int, StoreError)
    /// The store was written by a newer format than this library reads.
    case newerFormat(found: UInt32, supported: UInt32)
    /// There is no store at the path and creating one was not asked for.
    case storeNotFound(path: String)
    /// The directory holds an LMDB environment that is not a FeatureMemory store.
    case notAStore(path: String)
    /// A new store needs a dimension.
    case missingDimension
    /// An option differs from what it must equal: the store's (`dimension`, `metric`, `M`, fixed at
    /// creation) or, for `durability`, `mapSizeCap` and `initialMapSize`, the options of the store
    /// objects this process has open on the directory, which share its environment.
    case configurationMismatch(field: String, stored: String, requested: String)
    /// The map reached its size cap; raise the cap to write more.
    case mapSizeCapReached(cap: Int)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// LMDB failed; `operation` names the call.
    case storage(LMDBCode, operation: String)
    /// A commit failed because the filesystem holding the store is full; nothing of it was written.
    case diskFull(path: String, availableBytes: Int?)
    /// The store's file is damaged where LMDB would read it: a truncated file, or a B-tree page
    /// (`page`, in `table` when known) whose header or bounds are wrong. Nothing was read from it.
    case damagedFile(path: String, page: Int?, table: String?, reason: String)
    /// A counter in `meta` holds a value the tables make impossible (`tablesHold` is the most
    /// they allow); used as it is, it would size an allocation or overflow.
    case damagedCounter(name: String, value: UInt64, tablesHold: Int)
    /// A write was started inside a write block on the same thread (a `store.put` inside
    /// `store.write { }`, say); LMDB allows one write transaction at a time, so it would wait
    /// for itself forever. Use the transaction the block is given.
    case nestedWrite

    /// Options that belong to the environment every store object on a directory shares in a process.
    static let environmentFields: Set<String> = ["durability", "mapSizeCap", "initialMapSize"]

    /// One line saying what went wrong and, where it helps, what to do.
    public var description: String {
        switch self {
        case let .dimensionMismatch(expected, actual):
            "vector has \(actual) dimensions; this store holds \(expected)"
        case .emptyVector:
            "vector is empty"
        case let .nonFinite(index):
            "vector element \(index) is not a finite number (NaN or infinity)"
        case .zeroVector:
            "vector is all zeros (or nearly: length below 1e-18); the cosine metric cannot compare it"
        case .vectorTooLarge:
            "vector is too large: its length overflows float32"
        case let .unknownID(id):
            "no vector with id \(id)"
        case let .invalidLabel(reason):
            "invalid label: \(reason)"
        case let .invalidArgument(reason):
            "invalid argument: \(reason)"
        case let .corruptRecord(node):
            "record of node \(node) is damaged (checksum or layout mismatch); run `fmdb verify`"
        case let .corruptGraph(node):
            "graph record of node \(node) is damaged; run `fmdb verify --repair`"
        case let .olderFormat(found, supported):
            "store format \(found) is older than this version reads (\(supported)); export it with the fmdb that wrote it and import it again"
        case let .corruptEntry(table, key):
            "entry \(key) of table \(table) is damaged; run `fmdb verify`"
        case let .batchItem(index, error):
            "batch item \(index): \(error) (nothing in the batch was written)"
        case let .newerFormat(found, supported):
            "store format \(found) is newer than this version reads (\(supported)); upgrade FeatureMemory"
        case let .storeNotFound(path):
            "no store at \(path)"
        case let .notAStore(path):
            "\(path) holds an LMDB environment that is not a FeatureMemory store"
        case .missingDimension:
            "creating a store needs a dimension"
        case let .configurationMismatch(field, stored, requested) where Self.environmentFields.contains(field):
            "store is open in this process with \(field) \(stored); \(requested) was requested: open it with the same options, or release the open store objects first"
        case let .configurationMismatch(field, stored, requested):
            "store has \(field) \(stored); \(requested) was requested"
        case let .mapSizeCapReached(cap):
            "store reached its map size cap of \(cap) bytes; reopen with a larger cap to write more"
        case let .io(path, reason):
            "\(path): \(reason)"
        case let .diskFull(path, available):
            "the disk is full (\(available.map { "\($0 >> 10) KiB" } ?? "no space") left on the filesystem of \(path)): the transaction was rolled back and the store is as it was before it; free space and retry"
        case let .storage(code, operation):
            "\(operation) failed: \(code)"
        case let .damagedFile(path, page, table, reason):
            "\(path) is damaged at \(PageDamage(page: page, table: table, reason: reason)); run `fmdb verify` to list the damage, and `fmdb salvage STORE NEW` to copy every readable vector into a new store"
        case let .damagedCounter(name, value, tablesHold):
            "the store's counter \(name) is damaged: it holds \(value), the tables allow at most \(tablesHold); run `fmdb verify --repair` to set it from the tables"
        case .nestedWrite:
            "a write was started inside a write block on the same thread; write through the transaction the block is given (txn.put, txn.delete, …)"
        }
    }
}
