/// SIMD inner loops shared by the similarity and normalization functions.
enum VectorKernels {
    /// `Σ aᵢbᵢ` over equal-length buffers.
    static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        let n = a.count
        let pa = UnsafeRawBufferPointer(a), pb = UnsafeRawBufferPointer(b)
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            acc += pa.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                 * pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var sum = acc.sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// `Σ (aᵢ − bᵢ)²` over equal-length buffers.
    static func squaredDistance(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        let n = a.count
        let pa = UnsafeRawBufferPointer(a), pb = UnsafeRawBufferPointer(b)
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let d = pa.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                  - pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += d * d
            i += 8
        }
        var sum = acc.sum()
        while i < n { let d = a[i] - b[i]; sum += d * d; i += 1 }
        return sum
    }
}
