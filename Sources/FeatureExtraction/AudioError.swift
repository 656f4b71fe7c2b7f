/// Why audio or an embedding file could not be read or turned into features.
public enum AudioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes do not start with a `RIFF` header of form type `WAVE`.
    case notRIFFWAVE
    /// The file ends inside the RIFF header or the `fmt ` chunk.
    case truncatedHeader
    /// The `fmt ` chunk is present but self-contradictory (zero channels, wrong block size…).
    case malformedHeader(String)
    /// The samples use an encoding this reader does not decode, such as "8-bit PCM" or "A-law".
    case unsupportedEncoding(String)
    /// The file has no `data` chunk.
    case noDataChunk
    /// The audio holds no complete sample frame.
    case noSamples
    /// The file could not be read from disk.
    case unreadableFile(path: String, reason: String)
    /// A sample rate that is zero or negative, or for extraction outside
    /// `MFCCExtractor.supportedInputRates`.
    case invalidSampleRate(Int)
    /// A sample or value at this index is NaN or infinite.
    case nonFinite(index: Int)
    /// The clip lasts fewer seconds than one analysis window.
    case tooShort(seconds: Double)
    /// The clip's RMS level is below the extractor's silence threshold.
    case silent
    /// A configuration parameter is out of range; the message names it.
    case invalidConfiguration(String)
    /// Two vectors, or a vector and a statistic, have different dimensions.
    case dimensionMismatch(expected: Int, actual: Int)
    /// The bytes do not start with the `.npy` magic string.
    case notNPY
    /// The `.npy` header cannot be parsed.
    case malformedNPY(String)
    /// The `.npy` array is valid but not a float array of a shape this reader takes.
    case unsupportedNPY(String)
    /// The `.npy` file holds fewer data bytes than its shape requires.
    case truncatedNPY(expectedBytes: Int, availableBytes: Int)
    /// The embedding array has zero frames, so there is nothing to pool.
    case noFrames

    /// A sentence for logs and command-line output.
    public var description: String {
        switch self {
        case .notRIFFWAVE: "not a RIFF/WAVE file"
        case .truncatedHeader: "WAV file ends inside its header"
        case .malformedHeader(let reason): "malformed WAV header: \(reason)"
        case .unsupportedEncoding(let encoding): "unsupported WAV encoding: \(encoding); PCM 16/24/32-bit or float 32/64-bit only"
        case .noDataChunk: "WAV file has no data chunk"
        case .noSamples: "audio has no samples"
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidSampleRate(let rate): "unsupported sample rate \(rate) Hz (1,000 to 1,000,000 Hz are read)"
        case .nonFinite(let index): "value \(index) is NaN or infinite"
        case .tooShort(let seconds): "clip lasts \(seconds) s, shorter than one analysis window"
        case .silent: "clip is silent (RMS below the silence threshold)"
        case .invalidConfiguration(let reason): "invalid configuration: \(reason)"
        case .dimensionMismatch(let expected, let actual): "vector has \(actual) dimensions; expected \(expected)"
        case .notNPY: "not a .npy file (bad magic)"
        case .malformedNPY(let reason): "malformed .npy header: \(reason)"
        case .unsupportedNPY(let reason): "unsupported .npy array: \(reason)"
        case .truncatedNPY(let expected, let available): ".npy data is truncated: \(available) of \(expected) bytes"
        case .noFrames: "embedding array has no frames"
        }
    }
}
