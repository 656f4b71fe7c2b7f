internal import CFeatureMemoryShims

/// How the node cache keeps vectors: float16 (half the bytes of float32), 8-bit codes (a quarter)
/// or 4-bit codes (an eighth), all ranking candidates only; results are re-ranked by the stored
/// vectors.
public enum CacheFormat: String, Sendable, CaseIterable, Codable {
    /// float16 values: half the bytes of float32.
    case half
    /// 8-bit codes: a quarter of the bytes of float32 (the default).
    case bytes
    /// 4-bit codes: an eighth of the bytes of float32, in blocks of 64 values.
    case nibbles

    /// Bytes one vector of `dimension` values takes in this format.
    func vectorBytes(dimension: Int) -> Int {
        switch self {
        case .half: 2 * dimension
        case .bytes: dimension
        case .nibbles: (dimension + 63) / 64 * 32
        }
    }

    /// Encodes `dimension` floats at `vector` into `codes` (`vectorBytes(dimension:)` bytes) as
    /// this format keeps them: the one encoder of cache entries and of searches' misses, so that
    /// a node ranks the same whether it was cached or not.
    func encode(_ vector: UnsafeRawPointer, into codes: UnsafeMutableRawPointer, dimension: Int) -> (low: Float, scale: Float) {
        var step: Float = 0
        switch self {
        case .half:
            return (0, fm_half_encode(vector, codes.assumingMemoryBound(to: UInt16.self), dimension))
        case .bytes:
            let low = fm_byte_encode(vector, codes.assumingMemoryBound(to: UInt8.self), dimension, &step)
            return (low, step)
        case .nibbles:
            let low = fm_nibble_encode(vector, codes.assumingMemoryBound(to: UInt8.self), dimension, &step)
            return (low, step)
        }
    }

    /// Whether entries are codes compared with the query's integer form (`IntegerQuery`).
    var isIntegerCoded: Bool { self != .half }

    /// The format's number in a saved cache image.
    var imageCode: UInt32 {
        switch self {
        case .half: 0
        case .bytes: 1
        case .nibbles: 2
        }
    }
}
