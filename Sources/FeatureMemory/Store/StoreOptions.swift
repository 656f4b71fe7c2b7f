import CoreMetrics
/// How to open or create a store.
///
/// `durability`, `mapSizeCap` and `initialMapSize` belong to the LMDB environment that every
/// store object open on a directory in this process shares: a second opening must ask for the
/// same values (see `FeatureStore.init(at:options:)`). The cache, prefetch and metrics options
/// and `hnsw.efConstruction` belong to each store object and may differ.
public struct StoreOptions: Sendable {
    /// Floats per vector; needed to create a store, checked against an existing one when set.
    public var dimension: Int?
    /// The distance metric; `.l2` for a new store when nil, checked against an existing one when set.
    public var metric: Metric?
    /// The precision vectors are stored in; f32 for a new store when nil, checked against an
    /// existing one when set.
    public var encoding: VectorEncoding?
    /// HNSW graph parameters for a new store (default M = 16, efConstruction = 200); for an existing
    /// store M must match, and efConstruction applies to this opening's inserts.
    public var hnsw: HNSWParameters?
    /// What a commit waits for. Shared by every store object open on the directory in this process.
    public var durability: Durability
    /// The map never grows past this many bytes; nil for no limit but the disk. Shared by every
    /// store object open on the directory in this process.
    public var mapSizeCap: Int?
    /// The map size a store starts with; it doubles whenever a write fills it. The map is address
    /// space, not disk (the file grows as pages are written), so the default of 256 GiB means
    /// growth, which must wait for every read of this process to end, practically never happens.
    /// Shared by every store object open on the directory in this process.
    public var initialMapSize: Int
    /// Create the directory and the store when missing.
    public var createIfMissing: Bool
    /// Bytes the writer may keep of decoded vectors and links between its transactions, which
    /// makes inserts read memory instead of B-trees (default 512 MiB; 0 turns it off).
    public var writeCacheBytes: Int
    /// The byte budget of the node cache that searches read decoded vectors and links from
    /// (default 256 MiB; 0 turns it off). Memory is taken as entries fill, up to an adaptive
    /// target that never passes the budget.
    public var cacheBytes: Int
    /// Which prefetchers fill the node cache ahead of searches.
    public var prefetch: PrefetchOptions
    /// Which entry the node cache evicts (CLOCK by default: it kept the higher hit rate on every
    /// zipf stream measured; see docs/architecture.md).
    public var cachePolicy: CachePolicy
    /// How the node cache keeps vectors (8-bit codes by default; see `CacheFormat`).
    public var cacheFormat: CacheFormat
    /// Where the cache's metrics go (nil: the process's `MetricsSystem.factory`).
    public var metricsFactory: (any MetricsFactory)?
    /// Search results kept per committed version, for repeated queries (default 1,024; 0 turns it off).
    public var resultCacheEntries: Int

    /// Options for opening or creating a store; every option has a parameter, each defaulting to
    /// the property's documented default.
    public init(
        dimension: Int? = nil, metric: Metric? = nil, encoding: VectorEncoding? = nil, hnsw: HNSWParameters? = nil, durability: Durability = .full,
        mapSizeCap: Int? = nil, initialMapSize: Int = 256 << 30, createIfMissing: Bool = true,
        writeCacheBytes: Int = 512 << 20, cacheBytes: Int = 256 << 20, cachePolicy: CachePolicy = .clock,
        cacheFormat: CacheFormat = .bytes, prefetch: PrefetchOptions = .init(), resultCacheEntries: Int = 1024,
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.dimension = dimension
        self.metric = metric
        self.encoding = encoding
        self.hnsw = hnsw
        self.durability = durability
        self.mapSizeCap = mapSizeCap
        self.initialMapSize = initialMapSize
        self.createIfMissing = createIfMissing
        self.writeCacheBytes = writeCacheBytes
        self.cacheBytes = cacheBytes
        self.cachePolicy = cachePolicy
        self.cacheFormat = cacheFormat
        self.prefetch = prefetch
        self.resultCacheEntries = resultCacheEntries
        self.metricsFactory = metricsFactory
    }

    /// The largest dimension a store accepts.
    public static let maximumDimension = 65_536
    /// The longest label in UTF-8 bytes (LMDB keys are at most 511 bytes).
    public static let maximumLabelBytes = 255
    /// The largest user data blob in bytes.
    public static let maximumUserDataBytes = 16 << 20
}

/// Which prefetchers fill the node cache ahead of searches; each can be switched off to measure it.
public struct PrefetchOptions: Sendable, Equatable {
    /// When a node becomes a search candidate, a background thread decodes its neighbours.
    public var graph: Bool
    /// At open, a background thread loads the entry point's neighbourhood and the hot set the
    /// previous opening saved in the store.
    public var warmStart: Bool
    /// A model of which query regions follow which warms the likely next region after each search.
    public var predictive: Bool

    /// Prefetcher switches; all on by default.
    public init(graph: Bool = true, warmStart: Bool = true, predictive: Bool = true) {
        self.graph = graph
        self.warmStart = warmStart
        self.predictive = predictive
    }
}
