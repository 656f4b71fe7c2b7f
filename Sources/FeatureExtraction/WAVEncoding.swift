/// How a WAV file stores one sample; the encodings `WAVFile` decodes.
public enum WAVEncoding: Sendable, Equatable, CustomStringConvertible {
    /// Signed 16-bit integer PCM.
    case pcm16
    /// Signed 24-bit integer PCM, packed in three bytes.
    case pcm24
    /// Signed 32-bit integer PCM (also 24 valid bits left-justified in 32).
    case pcm32
    /// IEEE 754 binary32.
    case float32
    /// IEEE 754 binary64.
    case float64

    /// Bytes one sample of one channel takes.
    public var bytesPerSample: Int {
        switch self {
        case .pcm16: 2
        case .pcm24: 3
        case .pcm32, .float32: 4
        case .float64: 8
        }
    }

    /// A short name such as "16-bit PCM".
    public var description: String {
        switch self {
        case .pcm16: "16-bit PCM"
        case .pcm24: "24-bit PCM"
        case .pcm32: "32-bit PCM"
        case .float32: "32-bit float"
        case .float64: "64-bit float"
        }
    }

    /// The encoding for a format tag and container size, or the error naming what it is instead.
    static func from(formatTag: UInt16, bitsPerSample: Int) throws(AudioError) -> WAVEncoding {
        switch (formatTag, bitsPerSample) {
        case (0x0001, 16): return .pcm16
        case (0x0001, 24): return .pcm24
        case (0x0001, 32): return .pcm32
        case (0x0001, let bits): throw .unsupportedEncoding("\(bits)-bit PCM")
        case (0x0003, 32): return .float32
        case (0x0003, 64): return .float64
        case (0x0003, let bits): throw .unsupportedEncoding("\(bits)-bit float")
        default: throw .unsupportedEncoding(name(ofFormatTag: formatTag))
        }
    }

    /// Names of common non-PCM WAVE format tags (mmreg.h), so the error says what the file is.
    static func name(ofFormatTag tag: UInt16) -> String {
        switch tag {
        case 0x0002: "ADPCM (Microsoft)"
        case 0x0006: "A-law"
        case 0x0007: "µ-law"
        case 0x0011: "ADPCM (IMA)"
        case 0x0031: "GSM 6.10"
        case 0x0050: "MPEG"
        case 0x0055: "MP3"
        case 0x00FF: "AAC"
        default: "format tag 0x" + String(tag, radix: 16, uppercase: true)
        }
    }
}
