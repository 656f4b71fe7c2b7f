import CFeatureMemoryShims
import Testing
@testable import FeatureMemory

/// 4-bit cache codes: each value decodes to within half a step of itself, the padding of the
/// last 64-value block stays zero, and the accelerated integer dot product equals the exact sum
/// over the decoded codes on every length.
struct NibbleCodeTests {
    static let lengths = [1, 2, 24, 31, 32, 33, 63, 64, 65, 127, 128, 200, 383, 384, 385, 768, 1536]

    /// The code of value `index` read back through the decoder (low 0, step 1).
    func codes(_ packed: [UInt8], count: Int) -> [Int] {
        var decoded = [Float](repeating: 0, count: count)
        packed.withUnsafeBufferPointer { fm_nibble_decode($0.baseAddress, 0, 1, &decoded, count) }
        return decoded.map { Int($0) }
    }

    @Test func valuesDecodeWithinHalfAStepAndThePaddingIsZero() {
        var random = SeededGenerator(seed: 0x4B1)
        for n in Self.lengths {
            let values = (0..<n).map { _ in Float.random(in: -2...3, using: &random) }
            let bytes = fm_nibble_bytes(n)
            #expect(bytes == (n + 63) / 64 * 32)
            // a canary byte past the end: the encoder must not write beyond its bytes
            var packed = [UInt8](repeating: 0xAA, count: bytes + 1)
            var step: Float = 0
            let low = values.withUnsafeBytes { v in packed.withUnsafeMutableBufferPointer { fm_nibble_encode(v.baseAddress, $0.baseAddress, n, &step) } }
            #expect(packed[bytes] == 0xAA, "n \(n): wrote past its bytes")
            #expect(low == values.min())
            var decoded = [Float](repeating: 0, count: n)
            packed.withUnsafeBufferPointer { fm_nibble_decode($0.baseAddress, low, step, &decoded, n) }
            let worst = zip(values, decoded).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= step * 0.5001, "n \(n): error \(worst), step \(step)")
            // every code of the padded tail is 0, so it adds nothing to a dot product
            let padded = codes(Array(packed.prefix(bytes)), count: bytes * 2)
            #expect(padded[n...].allSatisfy { $0 == 0 }, "n \(n)")
        }
    }

    @Test func aConstantVectorEncodesWithoutDividingByZero() {
        let values = [Float](repeating: 0.25, count: 40)
        var packed = [UInt8](repeating: 0, count: fm_nibble_bytes(40))
        var step: Float = 0
        let low = values.withUnsafeBytes { v in packed.withUnsafeMutableBufferPointer { fm_nibble_encode(v.baseAddress, $0.baseAddress, 40, &step) } }
        #expect(low == 0.25 && step.isFinite && step > 0)
        var decoded = [Float](repeating: 0, count: 40)
        packed.withUnsafeBufferPointer { fm_nibble_decode($0.baseAddress, low, step, &decoded, 40) }
        #expect(decoded == values)
    }

    @Test func integerDotIsExactOnEveryLength() {
        var random = SeededGenerator(seed: 0x4B2)
        var failures: [String] = []
        for n in Self.lengths {
            let limit = min(32767, Int(Int32.max) / (255 * n))
            let padded = (n + 63) / 64 * 64
            let cases: [([Int16], [UInt8])] = [
                ((0..<n).map { _ in Int16(Int.random(in: -limit...limit, using: &random)) }, (0..<n).map { _ in UInt8.random(in: 0...15, using: &random) }),
                ([Int16](repeating: Int16(limit), count: n), [UInt8](repeating: 15, count: n)),
                ([Int16](repeating: Int16(-limit), count: n), [UInt8](repeating: 15, count: n)),
            ]
            for (index, (query, levels)) in cases.enumerated() {
                // the codes packed by the encoder itself: values equal to their levels, with 0 and 15 present
                var values = levels.map(Float.init)
                values[0] = 0
                if n > 1 { values[n - 1] = 15 }
                var packed = [UInt8](repeating: 0, count: fm_nibble_bytes(n))
                var step: Float = 0
                _ = values.withUnsafeBytes { v in packed.withUnsafeMutableBufferPointer { fm_nibble_encode(v.baseAddress, $0.baseAddress, n, &step) } }
                let decoded = codes(packed, count: n)
                #expect(decoded == values.map { Int($0) } || n == 1, "n \(n): codes are not the levels")
                let exact = zip(query, decoded).reduce(Int64(0)) { $0 + Int64($1.0) * Int64($1.1) }
                let integers = query + [Int16](repeating: 0, count: padded - n)
                let results = integers.withUnsafeBufferPointer { q in
                    packed.withUnsafeBufferPointer { p in
                        [fm_nibble_integer_dot, fm_nibble_integer_dot_avx2, fm_nibble_integer_dot_portable].map { Int64($0(q.baseAddress, p.baseAddress, n)) }
                    }
                }
                if results.contains(where: { $0 != exact }) { failures.append("n \(n) case \(index): \(results) vs \(exact)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func floatKernelsAgreeWithTheDecodedVector() {
        var random = SeededGenerator(seed: 0x4B3)
        for n in [24, 100, 384] {
            let values = random.gaussianVector(n), query = random.gaussianVector(n)
            var packed = [UInt8](repeating: 0, count: fm_nibble_bytes(n))
            var step: Float = 0
            let low = values.withUnsafeBytes { v in packed.withUnsafeMutableBufferPointer { fm_nibble_encode(v.baseAddress, $0.baseAddress, n, &step) } }
            var decoded = [Float](repeating: 0, count: n)
            packed.withUnsafeBufferPointer { fm_nibble_decode($0.baseAddress, low, step, &decoded, n) }
            let levels = decoded.map { Double(($0 - low) / step).rounded() }
            let dot = zip(query, levels).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let l2 = zip(query, decoded).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let (fastDot, fastL2) = query.withUnsafeBytes { q in
                packed.withUnsafeBufferPointer { (fm_nibble_dot(q.baseAddress, $0.baseAddress, n), fm_nibble_l2_squared(q.baseAddress, $0.baseAddress, low, step, n)) }
            }
            #expect(abs(Double(fastDot) - dot) <= 1e-3 * max(1, abs(dot)), "n \(n)")
            #expect(abs(Double(fastL2) - l2) <= 1e-3 * max(1, l2), "n \(n)")
        }
    }
}
