/// The on-disk layout of one vector (table `vectors`, layout 1).
///
/// ```
/// offset  size  field
///      0     1  layout version (1)
///      1     1  codec: 0 = float32 little-endian in place, 1 = byte-shuffled float32, LZ4,
///                 2 = scaled float16, 3 = bfloat16, 4 = 8-bit levels (see `Codec`)
///      2     2  reserved, zero
///      4     4  element count (the store's dimension)
///      8     4  L2 norm of the vector (float32), used by the cosine metric
///     12     4  CRC-32C of bytes 0..<12 and of the payload
///     16     …  payload
/// ```
/// A raw payload is read in place from the map, never copied; LZ4 pays only when the
/// values carry less entropy than float32 (for example reduced-precision features).
enum VectorRecord {
    /// The layout this code writes and reads.
    static let layoutVersion: UInt8 = 1
    /// Bytes before the payload.
    static let headerSize = 16

    /// How the payload is stored.
    enum Codec: UInt8 {
        /// float32 little-endian, read in place.
        case raw = 0
        /// byte-shuffled float32 (all first bytes, then all second bytes, …), LZ4 block.
        case shuffledLZ4 = 1
        /// a float32 scale (a power of two), then float16 values: value = half · scale.
        case scaledHalf = 2
        /// bfloat16 values (the top half of each float32).
        case bfloat16 = 3
        /// float32 low and step, then one byte per value: value = low + step · code.
        case levels = 4

        /// Payload bytes of a vector of `dimension` values (nil for LZ4, whose size varies).
        func payloadBytes(dimension: Int) -> Int? {
            switch self {
            case .raw: dimension * 4
            case .shuffledLZ4: nil
            case .scaledHalf: 4 + dimension * 2
            case .bfloat16: dimension * 2
            case .levels: 8 + dimension
            }
        }
    }

    /// A record's header fields.
    struct Header {
        var codec: Codec
        var count: Int
        var norm: Float
    }
}
