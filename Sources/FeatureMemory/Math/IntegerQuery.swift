internal import CFeatureMemoryShims

/// A query in the integer form 8-bit codes are compared with (`fm_query_integers`), and the
/// distance from it to a vector held as codes: q·x ≈ low·Σq + step·unit·Σ qᵢ·codeᵢ, the last sum
/// in integers. The node cache's searches and the writer's make it once per search, the same way.
struct IntegerQuery {
    /// The query's values as integers (`dimension` of them, in the caller's scratch).
    let integers: UnsafePointer<Int16>
    /// What one integer unit stands for; 0 when the query has no integer form.
    let unit: Float
    /// The sum of the query's values (8-bit dot products need it, in integers or in floats).
    let sum: Float
    let dimension: Int
    let metric: Metric

    /// `query` (`dimension` floats) written as integers into `integers`; with `integral` false
    /// only its sum is taken (for entries compared in floats).
    init(_ query: UnsafeRawPointer, into integers: UnsafeMutablePointer<Int16>, dimension: Int, metric: Metric, integral: Bool = true) {
        self.integers = UnsafePointer(integers)
        sum = fm_sum(query, dimension)
        unit = integral ? fm_query_integers(query, integers, dimension) : 0
        self.dimension = dimension
        self.metric = metric
    }

    /// No query yet (before a search begins): no integer form, sum 0.
    init(before integers: UnsafeMutablePointer<Int16>, metric: Metric) {
        self.integers = UnsafePointer(integers)
        (unit, sum, dimension, self.metric) = (0, 0, 0, metric)
    }

    /// Whether distances can be taken in integers (the query has an integer form).
    var isIntegral: Bool { unit > 0 }

    /// The distance from the query (Euclidean norm `queryNorm`) to the vector with `codes`
    /// (value = low + step · code) and exact norm `vectorNorm`; nil when an l2 distance overflows
    /// (vectors too long for their squares), for the caller to compute in floats.
    @inline(__always)
    func distance(norm queryNorm: Float, toCodes codes: UnsafePointer<UInt8>, low: Float, step: Float, vectorNorm: Float) -> Float? {
        distance(norm: queryNorm, integerDot: fm_integer_dot(integers, codes, dimension), low: low, step: step, vectorNorm: vectorNorm)
    }

    /// The same distance from `integerDot`, Σ qᵢ·codeᵢ already taken (by a kernel for another code width).
    @inline(__always)
    func distance(norm queryNorm: Float, integerDot: Int32, low: Float, step: Float, vectorNorm: Float) -> Float? {
        let dot = low * sum + step * unit * Float(integerDot)
        switch metric {
        case .l2:
            // |q − x|² = |q|² + |x|² − 2 q·x, with the exact norms
            let d = queryNorm * queryNorm + vectorNorm * vectorNorm - 2 * dot
            return d.isFinite ? d : nil
        case .innerProduct:
            return 1 - dot
        case .cosine:
            return 1 - dot / (queryNorm * vectorNorm)
        }
    }
}

extension IntegerQuery {
    /// The query as the C searches read it, for vectors of norm `norm` held as `format` codes.
    func beamQuery(norm: Float, format: UInt32 = UInt32(FM_BEAM_BYTES)) -> fm_beam_query {
        fm_beam_query(integers: integers, unit: unit, sum: sum, norm: norm, format: format, metric: UInt32(metric.storedCode), dimension: dimension)
    }
}
