/// What `PatternMemory.learn` did with an example.
public enum LearnOutcome: Sendable, Equatable {
    /// The example became the new pattern `id`.
    case created(id: UInt64)
    /// The example was merged into pattern `id`, which now has `support` examples.
    case merged(id: UInt64, support: UInt32)

    /// The pattern the example went into.
    public var id: UInt64 {
        switch self {
        case let .created(id), let .merged(id, _): id
        }
    }
}

/// A stored pattern that supported a recognition.
public struct PatternNeighbour: Sendable, Equatable, Codable {
    /// The pattern's id.
    public var id: UInt64
    /// Its label.
    public var label: String?
    /// Its distance to the query (the store's metric).
    public var distance: Float
    /// How many examples were merged into it.
    public var support: UInt32
    /// Its alignment distance to the query's frames (`DynamicTimeWarping`), when both had frames.
    public var alignment: Float?

    /// A neighbour; `alignment` is set when recognition aligned it.
    public init(id: UInt64, label: String?, distance: Float, support: UInt32, alignment: Float? = nil) {
        self.id = id
        self.label = label
        self.distance = distance
        self.support = support
        self.alignment = alignment
    }
}

/// The answer of `PatternMemory.recognize`.
public struct Recognition: Sendable, Equatable, Codable {
    /// The recognized label; nil when nothing is near enough, the confidence is under the
    /// memory's minimum, or the memory is empty.
    public var label: String?
    /// How likely the label is right, 0…1: calibrated on held-out data when `calibrate` was run,
    /// else the raw margin score.
    public var confidence: Float
    /// The raw score before calibration: 1 − d(best label) ÷ d(nearest other label).
    public var score: Float
    /// The patterns consulted, nearest first.
    public var neighbours: [PatternNeighbour]
}

/// A label and how many patterns and examples it has.
public struct PatternSummary: Sendable, Equatable, Codable {
    /// The label.
    public var label: String
    /// Stored patterns with this label.
    public var patterns: Int
    /// Examples merged into them in all.
    public var examples: Int
    /// Bytes of the frames its patterns keep for alignment (their user data).
    public var frameBytes: Int = 0
}
