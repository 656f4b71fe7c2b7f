/// What a commit waits for before it returns, and so what a crash may lose.
public enum Durability: String, Sendable, CaseIterable, Codable {
    /// Data and metadata are flushed to disk at every commit: nothing acknowledged is lost,
    /// even on power loss. The default.
    case full
    /// Data is flushed, the meta page is not (`MDB_NOMETASYNC`): a power loss may lose the last
    /// commit, never integrity; a process crash loses nothing.
    case noMetaSync
    /// Nothing is flushed (`MDB_NOSYNC`): a power loss may lose recent commits, and a file
    /// system without ordered writes may damage the store; a process crash loses nothing.
    case noSync
}

/// How to open or create a store.
public struct StoreOptions: Sendable {
    /// Floats per vector; needed to create a store, checked against an existing one when set.
    public var dimension: Int?
    /// The distance metric; `.l2` for a new store when nil, checked against an existing one when set.
    public var metric: Metric?
    /// HNSW graph parameters for a new store (default M = 16, efConstruction = 200); for an existing
    /// store M must match, and efConstruction applies to this opening's inserts.
    public var hnsw: HNSWParameters?
    /// What a commit waits for.
    public var durability: Durability
    /// The map never grows past this many bytes; nil for no limit but the disk.
    public var mapSizeCap: Int?
    /// The map size a store starts with; it doubles whenever a write fills it. The map is address
    /// space, not disk (the file grows as pages are written), so the default of 256 GiB means
    /// growth, which must wait for every read of this process to end, practically never happens.
    public var initialMapSize: Int
    /// Create the directory and the store when missing.
    public var createIfMissing: Bool
    /// Bytes the writer may keep of decoded vectors and links between its transactions, which
    /// makes inserts read memory instead of B-trees (default 512 MiB; 0 turns it off).
    public var writeCacheBytes: Int

    /// Options for opening or creating a store.
    public init(
        dimension: Int? = nil, metric: Metric? = nil, hnsw: HNSWParameters? = nil, durability: Durability = .full,
        mapSizeCap: Int? = nil, initialMapSize: Int = 256 << 30, createIfMissing: Bool = true,
        writeCacheBytes: Int = 512 << 20
    ) {
        self.dimension = dimension
        self.metric = metric
        self.hnsw = hnsw
        self.durability = durability
        self.mapSizeCap = mapSizeCap
        self.initialMapSize = initialMapSize
        self.createIfMissing = createIfMissing
        self.writeCacheBytes = writeCacheBytes
    }

    /// The largest dimension a store accepts.
    public static let maximumDimension = 65_536
    /// The longest label in UTF-8 bytes (LMDB keys are at most 511 bytes).
    public static let maximumLabelBytes = 255
    /// The largest user data blob in bytes.
    public static let maximumUserDataBytes = 16 << 20
}
