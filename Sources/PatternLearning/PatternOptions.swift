/// How a `PatternMemory` learns and recognizes.
public struct PatternOptions: Sendable, Equatable, Codable {
    /// A new example within this distance (the store's metric) of a pattern of its label is merged
    /// into it (running centroid, support + 1); farther, it becomes a new pattern. 0 keeps every example.
    public var mergeRadius: Float
    /// Stored patterns consulted per recognition.
    public var neighbours: Int
    /// Candidates kept while searching (HNSW ef); nil for the store's default.
    public var ef: Int?
    /// A query farther than this from every pattern is not recognized (label nil); nil accepts any.
    public var rejectionDistance: Float?

    /// Options; the defaults keep nearly-identical examples together (cosine distance 0.02).
    public init(mergeRadius: Float = 0.02, neighbours: Int = 10, ef: Int? = nil, rejectionDistance: Float? = nil) {
        self.mergeRadius = mergeRadius
        self.neighbours = neighbours
        self.ef = ef
        self.rejectionDistance = rejectionDistance
    }
}
