import Foundation
import Testing
@testable import FeatureExtraction

struct WAVFileTests {
    /// Values exactly representable in every encoding (multiples of 2⁻⁴ within [-1, 1)).
    let values: [Float] = (-16..<16).map { Float($0) / 16 }

    static let encodings: [(WAVWriter.Sample, WAVEncoding)] = [
        (.pcm16, .pcm16), (.pcm24, .pcm24), (.pcm32, .pcm32), (.float32, .float32), (.float64, .float64),
    ]

    @Test(arguments: [false, true], [0, 1, 2, 3, 4])
    func everyEncodingParsesToTheWrittenSamples(extensible: Bool, encodingIndex: Int) throws {
        let (sample, encoding) = Self.encodings[encodingIndex]
        let data = WAVWriter(sample: sample, sampleRate: 22_050, extensible: extensible).bytes(mono: values)
        let file = try WAVFile(data: data)
        #expect(file.encoding == encoding)
        #expect(file.sampleRate == 22_050)
        #expect(file.channelCount == 1)
        #expect(file.clip.samples == values)
        #expect(!file.isTruncated)
    }

    @Test func fullScaleValuesOfEachIntegerWidthMapToMinusOne() throws {
        for sample in [WAVWriter.Sample.pcm16, .pcm24, .pcm32] {
            let file = try WAVFile(data: WAVWriter(sample: sample).bytes(mono: [-1, 0]))
            #expect(file.clip.samples == [-1, 0])
        }
    }

    @Test func stereoIsMixedDownByAveraging() throws {
        let frames: [[Float]] = [[0.5, -0.5], [0.25, 0.75], [-1, -0.5]]
        let file = try WAVFile(data: WAVWriter(sample: .pcm16, channels: 2).bytes(frames: frames))
        #expect(file.channelCount == 2)
        #expect(file.clip.samples == [0, 0.5, -0.75])
    }

    @Test func sixChannelFloatIsMixedDown() throws {
        let frames: [[Float]] = [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0, 0, 0.5]]
        let file = try WAVFile(data: WAVWriter(sample: .float32, channels: 6, extensible: true).bytes(frames: frames))
        #expect(file.clip.samples == [0.5, 0.25])
    }

    @Test func unknownAndOddSizedChunksAreSkipped() throws {
        var writer = WAVWriter(sample: .pcm24)
        writer.extraChunks = [("LIST", Array("INFOISFT\u{5}\0\0\0Lavf\0".utf8)), ("junk", [1, 2, 3]), ("fact", le32(32))]
        let file = try WAVFile(data: writer.bytes(mono: values))
        #expect(file.clip.samples == values)
    }

    @Test func chunkBeforeFmtIsSkipped() throws {
        let good = [UInt8](WAVWriter().bytes(mono: values))
        // Insert an odd-sized chunk right after "WAVE".
        let bytes = Array(good[0..<12]) + chunk("bext", [9, 9, 9, 9, 9]) + Array(good[12...])
        #expect(try WAVFile(data: Data(bytes)).clip.samples == values)
    }

    @Test func truncatedDataKeepsTheCompleteFramesAndReportsIt() throws {
        var bytes = [UInt8](WAVWriter(sample: .pcm16, channels: 2).bytes(frames: values.map { [$0, $0] }))
        bytes.removeLast(5)  // one whole frame (4 bytes) and one byte of the previous frame
        let file = try WAVFile(data: Data(bytes))
        #expect(file.declaredFrameCount == values.count)
        #expect(file.frameCount == values.count - 2)
        #expect(file.isTruncated)
        #expect(file.clip.samples == Array(values.dropLast(2)))
    }

    @Test func streamingSizeOfAllOnesReadsToTheEnd() throws {
        var writer = WAVWriter()
        writer.declaredDataSize = 0xFFFF_FFFF
        let file = try WAVFile(data: writer.bytes(mono: values))
        #expect(file.clip.samples == values)
    }

    @Test func readsFromAFileURL() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("tone.wav")
        try WAVWriter(sample: .float32, sampleRate: 44_100).bytes(mono: values).write(to: url)
        let clip = try AudioClip(contentsOf: url)
        #expect(clip.samples == values)
        #expect(clip.sampleRate == 44_100)
    }

    @Test func missingFileThrowsUnreadable() {
        let url = URL(fileURLWithPath: "/nonexistent/\(UUID()).wav")
        #expect {
            try WAVFile(contentsOf: url)
        } throws: { error in
            guard case AudioError.unreadableFile(let path, _) = error else { return false }
            return path == url.path
        }
    }

    /// A device or a FIFO would feed the reader without end: it is refused before it is opened,
    /// and a directory is named as one.
    @Test func devicesFIFOsAndDirectoriesAreRefusedBeforeReading() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fe-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("pipe.wav")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let notAFile = "it is not a regular file (a device, FIFO or socket); give the path of a file"
        #expect(throws: AudioError.unreadableFile(path: "/dev/zero", reason: notAFile)) { try WAVFile(contentsOf: URL(fileURLWithPath: "/dev/zero")) }
        #expect(throws: AudioError.unreadableFile(path: fifo.path, reason: notAFile)) { try WAVFile(contentsOf: fifo) }
        #expect(throws: AudioError.unreadableFile(path: directory.path, reason: "it is a directory; give the path of a file")) {
            try FrameEmbeddingPooler().embedding(contentsOf: directory)
        }
    }

    // MARK: bad input

    @Test func nonRIFFBytesThrowNotRIFFWAVE() {
        #expect(throws: AudioError.notRIFFWAVE) { try WAVFile(data: Data()) }
        #expect(throws: AudioError.notRIFFWAVE) { try WAVFile(data: Data("hello, this is not audio".utf8)) }
        var avi = [UInt8](WAVWriter().bytes(mono: values))
        avi.replaceSubrange(8..<12, with: Array("AVI ".utf8))
        #expect(throws: AudioError.notRIFFWAVE) { try WAVFile(data: Data(avi)) }
    }

    @Test func cutOffHeaderThrowsTruncatedHeader() {
        let good = WAVWriter().bytes(mono: values)
        for length in [3, 11, 12, 16, 20, 35] {
            #expect(throws: AudioError.truncatedHeader, "\(length) bytes") { try WAVFile(data: good.prefix(length)) }
        }
    }

    @Test(arguments: [
        (WAVWriter(sample: .pcm8), "8-bit PCM"),
        (WAVWriter(sample: .pcm16, formatTag: 6), "A-law"),
        (WAVWriter(sample: .pcm16, formatTag: 7), "µ-law"),
        (WAVWriter(sample: .pcm16, formatTag: 2), "ADPCM (Microsoft)"),
        (WAVWriter(sample: .pcm16, formatTag: 0x11), "ADPCM (IMA)"),
        (WAVWriter(sample: .pcm16, extensible: true, formatTag: 6), "A-law"),
        (WAVWriter(sample: .pcm16, formatTag: 0x1234), "format tag 0x1234"),
    ])
    func unsupportedEncodingsNameThemselves(writer: WAVWriter, name: String) {
        #expect(throws: AudioError.unsupportedEncoding(name)) { try WAVFile(data: writer.bytes(mono: [0, 0.5])) }
    }

    @Test func missingDataChunkThrowsNoDataChunk() {
        let good = [UInt8](WAVWriter().bytes(mono: values))
        // RIFF header + fmt chunk (8 + 16 bytes) + a LIST chunk, no data.
        let bytes = Array(good[0..<36]) + chunk("LIST", [1, 2, 3, 4])
        #expect(throws: AudioError.noDataChunk) { try WAVFile(data: Data(bytes)) }
    }

    @Test func dataBeforeFmtOrNoFmtIsMalformed() {
        let good = [UInt8](WAVWriter().bytes(mono: values))
        let fmt = Array(good[12..<36]), data = Array(good[36...])
        let swapped = Array(good[0..<12]) + data + fmt
        #expect(throws: AudioError.malformedHeader("data chunk before fmt chunk")) { try WAVFile(data: Data(swapped)) }
        let noFmt = Array(good[0..<12]) + chunk("LIST", [1, 2])
        #expect(throws: AudioError.malformedHeader("no fmt chunk")) { try WAVFile(data: Data(noFmt)) }
    }

    @Test func audioClipReadsWAVData() throws {
        let clip = try AudioClip(wavData: WAVWriter(sample: .pcm16, sampleRate: 8_000).bytes(mono: values))
        #expect(clip == AudioClip(samples: values, sampleRate: 8_000))
        #expect(clip.duration == Double(values.count) / 8_000)
    }

    @Test func emptyDataChunkThrowsNoSamples() {
        #expect(throws: AudioError.noSamples) { try WAVFile(data: WAVWriter().bytes(mono: [])) }
    }

    @Test func inconsistentBlockAlignIsMalformed() {
        var bytes = [UInt8](WAVWriter(channels: 2).bytes(frames: [[0, 0]]))
        bytes[32] = 2  // block align 2 for two 16-bit channels
        #expect(throws: AudioError.malformedHeader("block align 2 for 2 channels of 16-bit PCM")) { try WAVFile(data: Data(bytes)) }
    }

    @Test func zeroChannelsIsMalformed() {
        var bytes = [UInt8](WAVWriter().bytes(mono: [0]))
        bytes[22] = 0
        #expect(throws: AudioError.malformedHeader("0 channels")) { try WAVFile(data: Data(bytes)) }
    }

    @Test func errorMessagesSayWhatIsWrong() {
        #expect(AudioError.unsupportedEncoding("A-law").description.contains("A-law"))
        #expect(AudioError.notRIFFWAVE.description == "not a RIFF/WAVE file")
        #expect(AudioError.tooShort(seconds: 0.01).description.contains("0.01 s"))
    }
}
