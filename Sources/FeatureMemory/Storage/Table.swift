/// A named database inside the environment (LMDB calls it a DBI).
struct Table: Sendable {
    /// The name the table was opened with (static: copying a table costs no reference counting).
    let name: StaticString
    /// The handle LMDB gave it; valid for the environment's lifetime.
    let handle: UInt32
    /// Whether a key may hold several sorted values (`MDB_DUPSORT`).
    let allowsDuplicates: Bool
}

/// How a table stores its keys and values.
struct TableKind: OptionSet, Sendable {
    let rawValue: UInt32
    /// Keys may hold several sorted values, all of the same size.
    static let duplicateFixedValues = TableKind(rawValue: 1)
    /// Keys are native-order unsigned integers (UInt32 or UInt64), compared as integers.
    static let integerKeys = TableKind(rawValue: 2)
    /// Duplicate values are native-order unsigned integers, compared as integers.
    static let integerValues = TableKind(rawValue: 4)
}

/// Page use of one table, as `mdb_stat` reports it.
public struct TableStatistics: Sendable, Equatable, Codable {
    /// The table's name.
    public var name: String
    /// Number of key–value pairs.
    public var entries: Int
    /// Height of the B-tree.
    public var depth: Int
    /// Branch pages.
    public var branchPages: Int
    /// Leaf pages.
    public var leafPages: Int
    /// Pages holding values too large for a leaf.
    public var overflowPages: Int
    /// Bytes in all of the table's pages.
    public var bytes: Int
}
