/// How the node cache keeps vectors: float16 (half the bytes of float32) or 8-bit codes (a
/// quarter), both ranking candidates only; results are re-ranked by the stored vectors.
public enum CacheFormat: String, Sendable, CaseIterable, Codable {
    /// float16 values: half the bytes of float32.
    case half
    /// 8-bit codes: a quarter of the bytes of float32 (the default).
    case bytes

    var bytesPerValue: Int { self == .half ? 2 : 1 }
}
