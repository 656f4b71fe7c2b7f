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
    /// An answer whose confidence is below this is given as unknown (label nil); nil answers always.
    public var minimumConfidence: Float?
    /// A query with frames re-ranks this many nearest patterns by alignment (at least `neighbours`).
    public var alignedCandidates: Int
    /// The weight of the vector distance beside the alignment distance in the re-ranking, each
    /// relative to the nearest candidate's.
    public var vectorWeight: Float
    /// How far (frames) an alignment may stray from the diagonal.
    public var band: Int

    /// Options; the defaults keep nearly-identical examples together (cosine distance 0.02), and
    /// re-rank the 20 nearest patterns by alignment alone (vector weight 0): on three sets of
    /// tools/make-speech-set.sh's unseen voices, weights 0, 0.25 and 0.5 gave 0.953/0.963/0.968,
    /// 0.949/0.963/0.961 and 0.946/0.961/0.959 (docs/patterns.md).
    public init(
        mergeRadius: Float = 0.02, neighbours: Int = 10, ef: Int? = nil, rejectionDistance: Float? = nil,
        minimumConfidence: Float? = nil, alignedCandidates: Int = 20, vectorWeight: Float = 0, band: Int = 10
    ) {
        self.mergeRadius = mergeRadius
        self.neighbours = neighbours
        self.ef = ef
        self.rejectionDistance = rejectionDistance
        self.minimumConfidence = minimumConfidence
        self.alignedCandidates = alignedCandidates
        self.vectorWeight = vectorWeight
        self.band = band
    }

    /// Options from JSON; a field that is absent (options written before it existed) takes its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = PatternOptions()
        self.init(
            mergeRadius: try container.decodeIfPresent(Float.self, forKey: .mergeRadius) ?? defaults.mergeRadius,
            neighbours: try container.decodeIfPresent(Int.self, forKey: .neighbours) ?? defaults.neighbours,
            ef: try container.decodeIfPresent(Int.self, forKey: .ef),
            rejectionDistance: try container.decodeIfPresent(Float.self, forKey: .rejectionDistance),
            minimumConfidence: try container.decodeIfPresent(Float.self, forKey: .minimumConfidence),
            alignedCandidates: try container.decodeIfPresent(Int.self, forKey: .alignedCandidates) ?? defaults.alignedCandidates,
            vectorWeight: try container.decodeIfPresent(Float.self, forKey: .vectorWeight) ?? defaults.vectorWeight,
            band: try container.decodeIfPresent(Int.self, forKey: .band) ?? defaults.band)
    }

    private enum CodingKeys: String, CodingKey {
        case mergeRadius, neighbours, ef, rejectionDistance, minimumConfidence, alignedCandidates, vectorWeight, band
    }
}
