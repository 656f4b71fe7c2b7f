import Foundation

/// Builds WAV bytes in tests, so no binary fixtures are checked in.
struct WAVWriter {
    enum Sample { case pcm8, pcm16, pcm24, pcm32, float32, float64 }

    var sample: Sample = .pcm16
    var channels = 1
    var sampleRate = 16_000
    var extensible = false
    /// Overrides the fmt format tag (e.g. 6 for A-law).
    var formatTag: UInt16?
    /// Chunks written between `fmt ` and `data`.
    var extraChunks: [(id: String, body: [UInt8])] = []
    /// Overrides the declared data size.
    var declaredDataSize: UInt32?

    var bits: Int {
        switch sample { case .pcm8: 8; case .pcm16: 16; case .pcm24: 24; case .pcm32, .float32: 32; case .float64: 64 }
    }

    /// `frames[f][c]` interleaved, full scale ±1.
    func bytes(frames: [[Float]]) -> Data {
        var body: [UInt8] = []
        for frame in frames {
            for value in frame { body += encode(value) }
        }
        var fmt: [UInt8] = []
        let tag = formatTag ?? ((sample == .float32 || sample == .float64) ? 3 : 1)
        fmt += le16(extensible ? 0xFFFE : tag)
        fmt += le16(UInt16(channels))
        fmt += le32(UInt32(sampleRate))
        let blockAlign = channels * bits / 8
        fmt += le32(UInt32(sampleRate * blockAlign))
        fmt += le16(UInt16(blockAlign))
        fmt += le16(UInt16(bits))
        if extensible {
            fmt += le16(22)
            fmt += le16(UInt16(bits))
            fmt += le32(channels == 1 ? 0x4 : 0x3)
            fmt += le16(tag)
            fmt += [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        }
        var chunks = chunk("fmt ", fmt)
        for extra in extraChunks { chunks += chunk(extra.id, extra.body) }
        chunks += Array("data".utf8) + le32(declaredDataSize ?? UInt32(body.count)) + body
        return Data(Array("RIFF".utf8) + le32(UInt32(4 + chunks.count)) + Array("WAVE".utf8) + chunks)
    }

    /// Mono convenience.
    func bytes(mono samples: [Float]) -> Data { bytes(frames: samples.map { [$0] }) }

    private func encode(_ v: Float) -> [UInt8] {
        switch sample {
        case .pcm8: [UInt8(Int(v * 128) + 128)]
        case .pcm16: le16(UInt16(bitPattern: Int16(v * 32_768)))
        case .pcm24:
            { let i = UInt32(bitPattern: Int32(v * 8_388_608)); return [UInt8(i & 0xFF), UInt8(i >> 8 & 0xFF), UInt8(i >> 16 & 0xFF)] }()
        case .pcm32: le32(UInt32(bitPattern: Int32(Double(v) * 2_147_483_648)))
        case .float32: le32(v.bitPattern)
        case .float64: le64(Double(v).bitPattern)
        }
    }
}

func chunk(_ id: String, _ body: [UInt8]) -> [UInt8] {
    Array(id.utf8) + le32(UInt32(body.count)) + body + (body.count % 2 == 1 ? [0] : [])
}
func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * UInt64($0)) & 0xFF) } }
