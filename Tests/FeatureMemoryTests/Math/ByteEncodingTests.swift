import CFeatureMemoryShims
import Foundation
import Testing
@testable import FeatureMemory

/// 8-bit codes are the same bytes, low and step whether the encoder runs on AVX2 or on its
/// portable loop: the node cache's entries, the writer's copies (and with them the graph a
/// replica builds) and int8 stored vectors must not depend on the processor.
struct ByteEncodingTests {
    /// `fm_byte_encode` and `fm_byte_encode_portable` of `values` placed `offset` bytes past an
    /// aligned address: (codes, low, step) of each.
    static func both(_ values: [Float], offset: Int) -> (fast: ([UInt8], Float, Float), portable: ([UInt8], Float, Float)) {
        let n = values.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 4 * n + 64, alignment: 64)
        defer { raw.deallocate() }
        values.withUnsafeBytes { (raw + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        var fast = [UInt8](repeating: 0xAA, count: n), portable = [UInt8](repeating: 0x55, count: n)
        var fastStep: Float = 0, portableStep: Float = 0
        let fastLow = fast.withUnsafeMutableBufferPointer { fm_byte_encode(raw + offset, $0.baseAddress, n, &fastStep) }
        let portableLow = portable.withUnsafeMutableBufferPointer { fm_byte_encode_portable(raw + offset, $0.baseAddress, n, &portableStep) }
        return ((fast, fastLow, fastStep), (portable, portableLow, portableStep))
    }

    static func sameBits(_ a: ([UInt8], Float, Float), _ b: ([UInt8], Float, Float)) -> Bool {
        a.0 == b.0 && a.1.bitPattern == b.1.bitPattern && a.2.bitPattern == b.2.bitPattern
    }

    @Test func randomVectorsEncodeToTheSameBytes() {
        var random = SeededGenerator(seed: 0xB17E)
        var failures: [String] = []
        for n in [1, 7, 8, 15, 16, 17, 31, 33, 40, 64, 127, 128, 383, 384, 385, 768, 1537] {
            for offset in [0, 1, 2, 3, 4, 36] {
                for spread in [Float(1e-30), 1e-3, 1, 1e6, 1e30] {
                    let values = (0..<n).map { _ in random.gaussian() * spread }
                    let (fast, portable) = Self.both(values, offset: offset)
                    if !Self.sameBits(fast, portable) { failures.append("n \(n) offset \(offset) spread \(spread)") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func edgeRangesEncodeToTheSameBytes() {
        var cases: [[Float]] = []
        for n in [16, 24, 384] {
            cases.append([Float](repeating: 3.5, count: n))                       // constant: step 1
            cases.append([Float](repeating: 0, count: n))                         // all zeros
            cases.append((0..<n).map { $0 % 3 == 0 ? -0.0 : Float($0) })          // −0 is the smallest
            cases.append((0..<n).map { $0 % 5 == 1 ? 0.0 : -Float($0) - 1 })      // +0 is the largest
            // zeros of both signs as the bound, +0 first: the portable loop keeps +0
            cases.append((0..<n).map { (i: Int) -> Float in i == 0 ? 0.0 : i % 8 == 0 ? -0.0 : Float(i) })
            cases.append((0..<n).map { (i: Int) -> Float in i == 0 ? -0.0 : i % 8 == 0 ? 0.0 : -Float(i) })
            cases.append((0..<n).map { $0 % 2 == 0 ? 3e38 : -3e38 })              // the width overflows
            cases.append((0..<n).map { $0 == n - 1 ? .leastNonzeroMagnitude : 0 })                 // a subnormal step
            cases.append((0..<n).map { Float($0) - Float(n / 2) })                // codes 0 and 255 reached
        }
        for values in cases {
            for offset in [0, 3] {
                let (fast, portable) = Self.both(values, offset: offset)
                #expect(Self.sameBits(fast, portable), "\(values.prefix(4))… n \(values.count)")
            }
        }
    }
}
