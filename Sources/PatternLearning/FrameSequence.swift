import FeatureMemory
import Foundation

/// A clip's frames kept beside its pattern for alignment (`DynamicTimeWarping`): each value an
/// 8-bit step of its column's largest magnitude, so a half-second word of 39 values a frame takes
/// about 2 KB. Measured on tools/make-speech-set.sh (prototype): the same accuracy as float frames.
public struct FrameSequence: Sendable, Equatable {
    /// Frames (rows).
    public let frameCount: Int
    /// Values per frame.
    public let dimension: Int
    /// Per column: the value of one step.
    let scales: [Float]
    /// Row-major steps, `frameCount × dimension`.
    let steps: [Int8]

    /// At most this many frames (100 s at 10 ms a frame): alignment costs frames × band.
    public static let maximumFrames = 10_000
    /// At most this many values a frame.
    public static let maximumDimension = 1_024

    /// The sequence of row-major `frames` of `dimension` values each; throws `invalidArgument`
    /// for an empty, ragged, non-finite or over-long sequence.
    public init(frames: [Float], dimension: Int) throws(StoreError) {
        guard (1...Self.maximumDimension).contains(dimension), !frames.isEmpty, frames.count % dimension == 0 else {
            throw .invalidArgument("a frame sequence needs 1…\(Self.maximumDimension) values a frame and whole frames, got \(frames.count) values of \(dimension)")
        }
        let count = frames.count / dimension
        guard count <= Self.maximumFrames else {
            throw .invalidArgument("a frame sequence holds at most \(Self.maximumFrames) frames, got \(count)")
        }
        guard frames.allSatisfy(\.isFinite) else { throw .invalidArgument("a frame sequence holds a value that is not finite") }
        var scales = [Float](repeating: 0, count: dimension)
        for t in 0..<count {
            for j in 0..<dimension { scales[j] = max(scales[j], abs(frames[t * dimension + j])) }
        }
        for j in 0..<dimension { scales[j] = scales[j] > 0 ? scales[j] / 127 : 1 }
        var steps = [Int8](repeating: 0, count: frames.count)
        for index in frames.indices {
            steps[index] = Int8(max(-127, min(127, (frames[index] / scales[index % dimension]).rounded())))
        }
        self.init(frameCount: count, dimension: dimension, scales: scales, steps: steps)
    }

    private init(frameCount: Int, dimension: Int, scales: [Float], steps: [Int8]) {
        self.frameCount = frameCount
        self.dimension = dimension
        self.scales = scales
        self.steps = steps
    }

    /// The frames, row-major, as the steps give them back.
    public var values: [Float] {
        steps.indices.map { Float(steps[$0]) * scales[$0 % dimension] }
    }

    /// Bytes of `encoded()`.
    public var encodedCount: Int { Self.header.count + 4 + 4 * dimension + steps.count }

    private static let header = Array("FMSQ1".utf8)

    /// The bytes a pattern keeps: "FMSQ1", frames and dimension (UInt16 each, little-endian),
    /// the scales (Float32 LE), the steps.
    public func encoded() -> Data {
        var data = Data(Self.header)
        data.reserveCapacity(encodedCount)
        for value in [UInt16(frameCount), UInt16(dimension)] { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        for scale in scales { withUnsafeBytes(of: scale.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        steps.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// The sequence `encoded()` wrote; nil for bytes that are not one (another application's
    /// user data, or damage), whose pattern is then matched without alignment.
    public init?(decoding data: Data) {
        let bytes = [UInt8](data)
        let head = Self.header.count
        guard bytes.count >= head + 4, Array(bytes[0..<head]) == Self.header else { return nil }
        func word(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        let count = word(head), dimension = word(head + 2)
        guard (1...Self.maximumFrames).contains(count), (1...Self.maximumDimension).contains(dimension),
              bytes.count == head + 4 + 4 * dimension + count * dimension else { return nil }
        var scales = [Float](repeating: 0, count: dimension)
        for j in 0..<dimension {
            let at = head + 4 + 4 * j
            let bits = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            scales[j] = Float(bitPattern: bits)
            guard scales[j].isFinite, scales[j] > 0 else { return nil }
        }
        let start = head + 4 + 4 * dimension
        self.init(frameCount: count, dimension: dimension, scales: scales, steps: bytes[start...].map { Int8(bitPattern: $0) })
    }
}
