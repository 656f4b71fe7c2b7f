/// The on-disk layout of LMDB 0.9 pages on a 64-bit little-endian machine, as `mdb.c` defines
/// it (`MDB_page`, `MDB_node`, `MDB_meta`, `MDB_db`): the one place these offsets are written.
///
/// ```
/// page:  0 pgno (u64) · 8 pad (u16, key size of LEAF2 pages) · 10 flags (u16)
///        12 lower (u16) · 14 upper (u16)   (overflow pages: 12 page count, u32)
///        16 node offsets (u16 each, lower − 16 bytes of them)
/// node:  0 lo (u16) · 2 hi (u16) · 4 flags (u16) · 6 key size (u16) · 8 key, then data
///        leaf: data size = lo | hi << 16; branch: child = lo | hi << 16 | flags << 32
/// meta:  at 16: magic (u32) · version (u32) · address · map size · free db · main db ·
///        last page (u64) · txnid (u64)
/// db:    pad (u32, the page size in the free db) · flags (u16) · depth (u16) · branch, leaf and
///        overflow page counts · entries · root (u64), 48 bytes
/// ```
/// Read here only to check pages before LMDB touches them and to salvage damaged files; every
/// other access goes through `mdb_*`.
struct LMDBPage {
    static let headerSize = 16
    static let nodeHeaderSize = 8
    static let dbRecordSize = 48
    static let magic: UInt32 = 0xBEEF_C0DE
    static let dataVersion: UInt32 = 1
    /// `P_INVALID`: the root of an empty tree.
    static let invalidPage = UInt64.max
    /// LMDB's cursor stack: no tree is deeper.
    static let maximumDepth = 32

    /// Page flags (`P_*`).
    static let branch: UInt16 = 0x01
    static let leaf: UInt16 = 0x02
    static let overflow: UInt16 = 0x04
    static let meta: UInt16 = 0x08
    static let leaf2: UInt16 = 0x20
    static let subPage: UInt16 = 0x40

    /// Node flags (`F_*`).
    static let bigData: UInt16 = 0x01
    static let subData: UInt16 = 0x02
    static let dupData: UInt16 = 0x04

    /// The page bytes (a whole page, or an inline sub-page).
    let bytes: [UInt8]

    func u16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
    func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
    func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32 }

    var number: UInt64 { u64(0) }
    var pad: Int { Int(u16(8)) }
    var flags: UInt16 { u16(10) }
    var lower: Int { Int(u16(12)) }
    var upper: Int { Int(u16(14)) }
    var overflowPages: Int { Int(u32(12)) }
    /// Entries on the page; meaningful once `lower` is checked.
    var keyCount: Int { (lower - Self.headerSize) >> 1 }
    /// Where node `index` starts, from the page start.
    func nodeOffset(_ index: Int) -> Int { Int(u16(Self.headerSize + 2 * index)) }

    /// A node's header fields at `offset`.
    func node(at offset: Int) -> Node {
        Node(lo: UInt64(u16(offset)), hi: UInt64(u16(offset + 2)), flags: u16(offset + 4),
             keySize: Int(u16(offset + 6)), keyOffset: offset + Self.nodeHeaderSize)
    }

    /// One node's header.
    struct Node {
        var lo: UInt64, hi: UInt64
        var flags: UInt16
        var keySize: Int
        var keyOffset: Int
        var dataOffset: Int { keyOffset + keySize }
        /// A leaf node's data size.
        var dataSize: Int { Int(lo | hi << 16) }
        /// A branch node's child page.
        var child: UInt64 { lo | hi << 16 | UInt64(flags) << 32 }
    }

    /// The `MDB_db` record at `offset`.
    func db(at offset: Int) -> DB {
        DB(pad: Int(u32(offset)), flags: u16(offset + 4), depth: Int(u16(offset + 6)),
           entries: u64(offset + 32), root: u64(offset + 40))
    }

    /// A tree's description (`MDB_db`).
    struct DB {
        var pad: Int
        var flags: UInt16
        var depth: Int
        var entries: UInt64
        var root: UInt64
    }

    /// The meta fields of a meta page.
    struct Meta {
        var pageSize: Int
        var freeDB: DB
        var mainDB: DB
        var lastPage: UInt64
        var transactionID: UInt64
    }

    /// The meta fields when this is a valid meta page (flag, magic and version), else nil.
    var metaFields: Meta? {
        guard bytes.count >= Self.headerSize + 136, flags & Self.meta != 0,
              u32(16) == Self.magic, u32(20) == Self.dataVersion else { return nil }
        let free = db(at: 16 + 24)
        return Meta(pageSize: free.pad, freeDB: free, mainDB: db(at: 16 + 24 + Self.dbRecordSize),
                    lastPage: u64(16 + 120), transactionID: u64(16 + 128))
    }
}
