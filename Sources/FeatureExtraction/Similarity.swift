/// Similarity and distance between feature vectors of equal dimension.
public enum Similarity {
    /// The dot product `a·b`.
    public static func dot(_ a: [Float], _ b: [Float]) throws(AudioError) -> Float {
        guard a.count == b.count else { throw .dimensionMismatch(expected: a.count, actual: b.count) }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in VectorKernels.dot(pa, pb) } }
    }

    /// `a·b / (|a||b|)` in [-1, 1]; 0 when either vector is zero, as the angle is then undefined.
    public static func cosine(_ a: [Float], _ b: [Float]) throws(AudioError) -> Float {
        guard a.count == b.count else { throw .dimensionMismatch(expected: a.count, actual: b.count) }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let norms = VectorKernels.dot(pa, pa) * VectorKernels.dot(pb, pb)
                guard norms > 0 else { return 0 }
                // Rounding can push |cos| a hair past 1; clamp so callers can take acos safely.
                return min(1, max(-1, VectorKernels.dot(pa, pb) / norms.squareRoot()))
            }
        }
    }

    /// The Euclidean distance `|a − b|`.
    public static func euclideanDistance(_ a: [Float], _ b: [Float]) throws(AudioError) -> Float {
        guard a.count == b.count else { throw .dimensionMismatch(expected: a.count, actual: b.count) }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in VectorKernels.squaredDistance(pa, pb).squareRoot() }
        }
    }
}
