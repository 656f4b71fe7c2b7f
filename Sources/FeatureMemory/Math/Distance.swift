internal import CFeatureMemoryShims

/// Distance kernels over float vectors that need not be aligned (vectors are read in place
/// from LMDB pages). AVX2 + FMA on x86-64 processors that have them, portable code elsewhere.
enum Distance {
    /// Squared Euclidean distance of two `count`-float vectors.
    @inline(__always)
    static func l2Squared(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        fm_l2_squared(a, b, count)
    }

    /// Dot product of two `count`-float vectors.
    @inline(__always)
    static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        fm_dot(a, b, count)
    }

    /// The distance under `metric`; the norms are used by cosine only.
    @inline(__always)
    static func between(
        _ a: UnsafeRawPointer, norm normA: Float, _ b: UnsafeRawPointer, norm normB: Float,
        count: Int, metric: Metric
    ) -> Float {
        switch metric {
        case .l2: return fm_l2_squared(a, b, count)
        case .innerProduct: return 1 - fm_dot(a, b, count)
        case .cosine: return 1 - fm_dot(a, b, count) / (normA * normB)
        }
    }

    /// Whether the SIMD kernels run on AVX2 + FMA.
    static var usesAVX2: Bool { fm_kernels_use_avx2() != 0 }
}

extension Array where Element == Float {
    /// The Euclidean length, accumulated in double precision.
    var euclideanNorm: Float {
        var sum: Double = 0
        for x in self { sum += Double(x) * Double(x) }
        return Float(sum.squareRoot())
    }
}
