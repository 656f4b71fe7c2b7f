import Foundation
import Testing
@testable import FeatureExtraction

struct FrameEmbeddingPoolerTests {
    /// 3 frames × 4 dims, exactly representable in float16.
    let values: [Double] = [1, 2, 3, 4, 3, 2, 1, 0, 2, 2, 2, 2]
    let mean: [Float] = [2, 2, 2, 2]

    @Test(arguments: ["<f4", "<f2", "<f8"])
    func meanPoolsEachDType(descr: String) throws {
        let data = NPYWriter.bytes(descr: descr, shape: [3, 4], values: values)
        #expect(try FrameEmbeddingPooler().embedding(fromNPY: data) == mean)
    }

    @Test func leadingBatchOfOneIsAccepted() throws {
        let data = NPYWriter.bytes(shape: [1, 3, 4], values: values)
        let frames = try FrameEmbeddingPooler().frames(fromNPY: data)
        #expect(frames.frameCount == 3 && frames.dimension == 4)
    }

    @Test func meanAndStandardDeviationDoublesTheDimension() throws {
        let data = NPYWriter.bytes(shape: [3, 4], values: values)
        let pooled = try FrameEmbeddingPooler(pooling: .meanAndStandardDeviation).embedding(fromNPY: data)
        let std = Float(2.0 / 3).squareRoot()
        #expect(pooled.count == 8)
        #expect(Array(pooled[0..<4]) == mean)
        for (s, e) in zip(pooled[4...], [std, 0, std, 2 * std]) { #expect(abs(s - e) < 1e-6) }
    }

    @Test func version2HeaderAndFileURLAreRead() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("hidden.npy")
        try NPYWriter.bytes(shape: [3, 4], values: values, version: 2).write(to: url)
        #expect(try FrameEmbeddingPooler().embedding(contentsOf: url) == mean)
    }

    @Test func wav2vec2AdapterChecksTheHiddenSize() throws {
        let frames = (0..<(5 * 768)).map { Double($0 % 768) / 768 }
        let data = NPYWriter.bytes(shape: [1, 5, 768], values: frames)
        let adapter = try Wav2Vec2Adapter()
        #expect(adapter.dimension == 768)
        #expect(adapter.name == "wav2vec2-base-mean")
        let embedding = try adapter.embedding(fromNPY: data)
        #expect(embedding.count == 768)
        #expect(abs(embedding[384] - 0.5) < 1e-6)
        let large = try Wav2Vec2Adapter(model: "wav2vec2-large", hiddenSize: 1024, pooling: .meanAndStandardDeviation)
        #expect(large.dimension == 2048)
        #expect(throws: AudioError.dimensionMismatch(expected: 1024, actual: 768)) { try large.embedding(fromNPY: data) }
    }

    // MARK: bad input

    @Test func fortranOrderIsRejected() {
        let data = NPYWriter.bytes(fortran: true, shape: [3, 4], values: values)
        #expect(throws: AudioError.unsupportedNPY("Fortran (column-major) order; save a C-ordered array")) { try FrameEmbeddingPooler().embedding(fromNPY: data) }
    }

    @Test func otherShapesAreRejected() {
        #expect(throws: AudioError.unsupportedNPY("1-D shape [12]; need frames × dimension")) {
            try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [12], values: values))
        }
        #expect(throws: AudioError.unsupportedNPY("batch of 2 in shape [2, 3, 2]; save one clip per file")) {
            try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [2, 3, 2], values: values))
        }
        #expect(throws: AudioError.noFrames) {
            try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [0, 4], values: []))
        }
    }

    @Test(arguments: ["<i4", ">f4", "|u1", "<c8"])
    func otherDTypesAreRejected(descr: String) {
        let data = NPYWriter.bytes(descr: descr, shape: [3, 4], values: values)
        #expect(throws: AudioError.unsupportedNPY("element type \(descr); little-endian float16, float32 or float64 only")) { try FrameEmbeddingPooler().embedding(fromNPY: data) }
    }

    @Test func truncatedDataIsReported() {
        let data = NPYWriter.bytes(shape: [3, 4], values: values)
        #expect(throws: AudioError.truncatedNPY(expectedBytes: 48, availableBytes: 45)) { try FrameEmbeddingPooler().embedding(fromNPY: data.dropLast(3)) }
        #expect(throws: AudioError.truncatedNPY(expectedBytes: 128, availableBytes: 40)) { try FrameEmbeddingPooler().embedding(fromNPY: data.prefix(40)) }
    }

    /// A header's shape sizes nothing before it is checked against the file: an overflowing
    /// product is malformed, a product beyond the file truncated, and neither traps or allocates.
    @Test func shapesBeyondTheFileAreRejectedBeforeAnythingIsAllocated() {
        #expect(throws: AudioError.malformedNPY("shape [4611686018427387904, 4] is too large")) {
            try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [4_611_686_018_427_387_904, 4], values: []))
        }
        #expect(throws: AudioError.malformedNPY("shape [2305843009213693952, 1] is too large")) {
            try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [2_305_843_009_213_693_952, 1], values: []))
        }
        #expect(throws: AudioError.truncatedNPY(expectedBytes: 3_072_000_000, availableBytes: 0)) {
            try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [1_000_000, 768], values: []))
        }
    }

    @Test func nonNPYAndBrokenHeadersAreRejected() {
        #expect(throws: AudioError.notNPY) { try FrameEmbeddingPooler().embedding(fromNPY: Data("RIFF....WAVE".utf8)) }
        var header = [UInt8](NPYWriter.bytes(shape: [3, 4], values: values))
        header.replaceSubrange(10..<17, with: Array("{'desc:".utf8))
        #expect(throws: AudioError.self) { try FrameEmbeddingPooler().embedding(fromNPY: Data(header)) }
    }

    @Test func nonFiniteValuesAreRejected() {
        var v = values
        v[5] = .nan
        #expect(throws: AudioError.nonFinite(index: 5)) { try FrameEmbeddingPooler().embedding(fromNPY: NPYWriter.bytes(shape: [3, 4], values: v)) }
    }
}
