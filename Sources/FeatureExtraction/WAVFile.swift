import Foundation

/// A parsed RIFF/WAVE file: its format and its samples mixed down to mono.
///
/// Accepts PCM 16/24/32-bit and float 32/64-bit, as format tag 1 or 3 or as
/// `WAVE_FORMAT_EXTENSIBLE` with those subformats, any channel count and rate.
/// Unknown chunks (`LIST`, `fact`, `bext`…) are skipped, honouring the pad byte
/// after odd-sized chunks.
///
/// A `data` chunk shorter than declared is not an error: recorders that crash,
/// and streaming writers that leave the size at 0xFFFFFFFF, produce such files
/// and their audio is still good. The complete frames present are read and
/// `isTruncated` reports the shortfall; a trailing partial frame is dropped.
public struct WAVFile: Sendable, Equatable {
    /// How each sample is stored.
    public var encoding: WAVEncoding
    /// Interleaved channels in the file (before mixdown).
    public var channelCount: Int
    /// Samples per second per channel.
    public var sampleRate: Int
    /// Frames the `data` chunk header declares.
    public var declaredFrameCount: Int
    /// The audio averaged over channels, full scale ±1.
    public var clip: AudioClip

    /// Frames actually read.
    public var frameCount: Int { clip.samples.count }
    /// Whether the `data` chunk was shorter than declared.
    public var isTruncated: Bool { frameCount < declaredFrameCount }

    /// Reads and parses the WAV file at `url`.
    public init(contentsOf url: URL) throws(AudioError) {
        try self.init(data: try FileBytes.contents(of: url))
    }

    /// Parses WAV bytes.
    public init(data: Data) throws(AudioError) {
        // Data.withUnsafeBytes rethrows untyped errors; a Result carries the typed one out.
        let result = data.withUnsafeBytes { raw in Result { () throws(AudioError) in try Self.parse(raw) } }
        guard let parsed = try result.get() else { throw .noDataChunk }
        self = parsed
    }

    private init(encoding: WAVEncoding, channelCount: Int, sampleRate: Int, declaredFrameCount: Int, clip: AudioClip) {
        self.encoding = encoding
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.declaredFrameCount = declaredFrameCount
        self.clip = clip
    }

    private static func fourCC(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    private static func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static let riff: UInt32 = 0x5249_4646  // "RIFF"
    private static let wave: UInt32 = 0x5741_5645  // "WAVE"
    private static let fmt: UInt32 = 0x666D_7420   // "fmt "
    private static let dataID: UInt32 = 0x6461_7461  // "data"

    /// The KSDATAFORMAT_SUBTYPE GUID tail shared by all `WAVE_FORMAT_EXTENSIBLE` subformats after the format tag.
    private static let subformatTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]

    private struct Format {
        var encoding: WAVEncoding
        var channels: Int
        var sampleRate: Int
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) throws(AudioError) -> WAVFile? {
        guard bytes.count >= 12 else {
            // A short prefix of a real header is a cut-off file, not a different format.
            let header = Array("RIFF".utf8)
            let prefix = Array(bytes.prefix(4))
            throw !prefix.isEmpty && header.starts(with: prefix) ? .truncatedHeader : .notRIFFWAVE
        }
        guard fourCC(bytes, 0) == riff, fourCC(bytes, 8) == wave else { throw .notRIFFWAVE }

        // The RIFF size field is ignored: writers often get it wrong, and the chunks say where they end.
        var format: Format?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = fourCC(bytes, offset)
            let size = Int(u32(bytes, offset + 4))
            let body = offset + 8
            if id == fmt {
                guard body + size <= bytes.count else { throw .truncatedHeader }
                format = try parseFormat(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + size)]))
            } else if id == dataID {
                guard let format else { throw .malformedHeader("data chunk before fmt chunk") }
                let frameBytes = format.channels * format.encoding.bytesPerSample
                let available = min(size, bytes.count - body)
                let frames = available / frameBytes
                guard frames > 0 else { throw .noSamples }
                let samples = mixdown(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + frames * frameBytes)]),
                                      encoding: format.encoding, channels: format.channels, frames: frames)
                return WAVFile(encoding: format.encoding, channelCount: format.channels, sampleRate: format.sampleRate,
                               declaredFrameCount: size / frameBytes,
                               clip: AudioClip(samples: samples, sampleRate: format.sampleRate))
            }
            // Chunks are word-aligned: an odd-sized body is followed by one pad byte.
            offset = body + size + (size & 1)
        }
        guard format != nil else {
            // Nothing but the RIFF header, or a cut-off chunk header, means the file ends early.
            throw offset == 12 || offset < bytes.count ? .truncatedHeader : .malformedHeader("no fmt chunk")
        }
        return nil
    }

    private static func parseFormat(_ chunk: UnsafeRawBufferPointer) throws(AudioError) -> Format {
        guard chunk.count >= 16 else { throw .malformedHeader("fmt chunk has \(chunk.count) bytes; need 16") }
        var tag = u16(chunk, 0)
        let channels = Int(u16(chunk, 2))
        let rate = Int(u32(chunk, 4))
        let blockAlign = Int(u16(chunk, 12))
        let bits = Int(u16(chunk, 14))
        if tag == 0xFFFE {
            guard chunk.count >= 40 else { throw .malformedHeader("extensible fmt chunk has \(chunk.count) bytes; need 40") }
            tag = u16(chunk, 24)
            guard Array(chunk[26..<40]) == subformatTail else {
                throw .unsupportedEncoding("extensible subformat with a non-standard GUID")
            }
        }
        let encoding = try WAVEncoding.from(formatTag: tag, bitsPerSample: bits)
        guard channels > 0 else { throw .malformedHeader("0 channels") }
        guard rate > 0 else { throw .malformedHeader("sample rate 0") }
        guard blockAlign == channels * encoding.bytesPerSample else {
            throw .malformedHeader("block align \(blockAlign) for \(channels) channels of \(encoding)")
        }
        return Format(encoding: encoding, channels: channels, sampleRate: rate)
    }

    /// Decodes interleaved frames and averages the channels.
    private static func mixdown(_ bytes: UnsafeRawBufferPointer, encoding: WAVEncoding, channels: Int, frames: Int) -> [Float] {
        let divisor = Float(channels)
        return [Float](unsafeUninitializedCapacity: frames) { out, initialized in
            out.initialize(repeating: 0)
            // One decode loop per encoding keeps the switch out of the per-sample path.
            func accumulate(_ load: (Int) -> Float) {
                var i = 0
                for frame in 0..<frames {
                    var sum: Float = 0
                    for _ in 0..<channels { sum += load(i); i += 1 }
                    out[frame] = channels == 1 ? sum : sum / divisor
                }
            }
            switch encoding {
            case .pcm16:
                accumulate { Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self))) * (1 / 32_768) }
            case .pcm24:
                accumulate { i in
                    let o = i * 3
                    // Put the three bytes in the top of an Int32 so the shift back sign-extends.
                    let v = Int32(bitPattern: UInt32(bytes[o]) << 8 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 24) >> 8
                    return Float(v) * (1 / 8_388_608)
                }
            case .pcm32:
                accumulate { Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) * (1 / 2_147_483_648) }
            case .float32:
                accumulate { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            case .float64:
                accumulate { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            }
            initialized = frames
        }
    }
}
