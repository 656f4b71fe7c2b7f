/// The on-disk layout of one vector (table `vectors`, layout 1).
///
/// ```
/// offset  size  field
///      0     1  layout version (1)
///      1     1  codec: 0 = float32 little-endian in place, 1 = byte-shuffled float32, LZ4
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
    }

    /// A record's header fields.
    struct Header {
        var codec: Codec
        var count: Int
        var norm: Float
    }
}
