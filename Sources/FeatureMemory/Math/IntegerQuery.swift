internal import CFeatureMemoryShims

/// A query in the integer form 8-bit codes are compared with (`fm_query_integers`), and the
/// distance from it to a vector held as codes: q·x ≈ low·Σq + step·unit·Σ qᵢ·codeᵢ, the last sum
/// in integers. Searches of the node cache and of the writer's cache both rank by it.
struct IntegerQuery {
    /// The query's values as integers (`dimension` of them, owned by the caller's scratch).
    let integers: UnsafePointer<Int16>
    /// What one integer unit stands for; 0 when the query has no integer form.
    let unit: Float
    /// The sum of the query's values.
    let sum: Float
    /// The query's Euclidean norm.
    let norm: Float
    let dimension: Int
    let metric: Metric

    /// The distance to the vector with `codes` (value = low + step · code) and exact norm
    /// `vectorNorm`; nil when an l2 distance overflows (vectors too long for their squares), for
    /// the caller to compute in floats.
    @inline(__always)
    func distance(toCodes codes: UnsafePointer<UInt8>, low: Float, step: Float, vectorNorm: Float) -> Float? {
        let dot = low * sum + step * unit * Float(fm_integer_dot(integers, codes, dimension))
        switch metric {
        case .l2:
            // |q − x|² = |q|² + |x|² − 2 q·x, with the exact norms
            let d = norm * norm + vectorNorm * vectorNorm - 2 * dot
            return d.isFinite ? d : nil
        case .innerProduct:
            return 1 - dot
        case .cosine:
            return 1 - dot / (norm * vectorNorm)
        }
    }
}
