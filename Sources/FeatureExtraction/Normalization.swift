/// Rescaling of feature vectors before storage or comparison.
public enum Normalization {
    /// `v / |v|`; a zero vector is returned unchanged, having no direction to keep.
    public static func l2Normalized(_ vector: [Float]) -> [Float] {
        var copy = vector
        l2Normalize(&copy)
        return copy
    }

    /// Scales `vector` in place to unit Euclidean length; leaves a zero vector as is.
    public static func l2Normalize(_ vector: inout [Float]) {
        let norm = vector.withUnsafeBufferPointer { VectorKernels.dot($0, $0).squareRoot() }
        guard norm > 0, norm.isFinite else { return }
        let scale = 1 / norm
        for i in vector.indices { vector[i] *= scale }
    }
}
