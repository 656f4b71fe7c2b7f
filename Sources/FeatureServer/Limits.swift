/// The bounds a request must keep, so that no single request can take unbounded memory or time.
enum Limits {
    /// Points in one upsert, ids in one delete.
    static let itemsPerRequest = 1...10_000
    /// Searches in one batch.
    static let searchesPerBatch = 1...1_000
    /// Neighbours per search.
    static let k = 1...1_000
    /// The search beam.
    static let ef = 1...10_000
    /// Collection names: letters, digits, `_` and `-`.
    static let nameLength = 1...64
    /// A WAV (or .npy) body for learn and recognize.
    static let audioBytes = 64 << 20
}
