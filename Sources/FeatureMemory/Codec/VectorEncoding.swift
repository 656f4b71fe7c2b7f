/// The precision a store keeps its vectors in on disk, chosen when it is created.
///
/// Every read returns the stored values as float32, and every distance (search results included)
/// is computed from them: what is lost is lost once, at the put.
public enum VectorEncoding: String, CaseIterable, Sendable, Codable {
    /// float32 as given (byte-shuffled and LZ4-compressed when that saves an eighth): 4 bytes a value.
    case f32
    /// float16 after scaling each vector by a power of two, so any float32 vector fits: 11
    /// significant bits, 2 bytes a value.
    case f16
    /// bfloat16, float32's range with 8 significant bits: 2 bytes a value.
    case bf16
    /// 256 levels between each vector's smallest and largest value: 1 byte a value.
    case int8

    /// The code `meta` keeps.
    var storedCode: UInt8 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .bf16: 2
        case .int8: 3
        }
    }

    /// The encoding stored as `code`; nil for a code this version does not know.
    init?(storedCode code: UInt8) {
        guard let encoding = Self.allCases.first(where: { $0.storedCode == code }) else { return nil }
        self = encoding
    }

    /// The bytes of the largest record a vector of `dimension` values takes in this encoding
    /// (f32's compressed records are smaller).
    func largestRecordBytes(dimension: Int) -> Int {
        // every `recordCodec` has a fixed payload size (only LZ4's varies, and none starts there)
        VectorRecord.headerSize + (recordCodec.payloadBytes(dimension: dimension) ?? dimension * 4)
    }

    /// The record codec vectors of this encoding are written with (f32 may also compress).
    var recordCodec: VectorRecord.Codec {
        switch self {
        case .f32: .raw
        case .f16: .scaledHalf
        case .bf16: .bfloat16
        case .int8: .levels
        }
    }
}
