import CFeatureMemoryShims
import Testing
@testable import FeatureMemory

/// The integer form of a query that searches compare with 8-bit cache entries: each value within
/// half a unit of the float, sums that cannot overflow, and the accelerated integer dot product
/// equal to the exact one on every length and alignment.
struct IntegerQueryTests {
    static let lengths = [0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 127, 128, 383, 384, 385, 1536, 4096, 8421]

    @Test func integerDotIsExactOnEveryLengthAndAlignment() {
        var random = SeededGenerator(seed: 0x16)
        var failures: [String] = []
        for n in Self.lengths {
            let limit = n == 0 ? 32767 : min(32767, Int(Int32.max) / (255 * n))
            let query = (0..<n).map { _ in Int16(Int.random(in: -limit...limit, using: &random)) }
            // extremes too: every code 255 against the largest query values of either sign
            let cases: [([Int16], [UInt8])] = [
                (query, (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }),
                ((0..<n).map { _ in Int16(limit) }, [UInt8](repeating: 255, count: n)),
                ((0..<n).map { _ in Int16(-limit) }, [UInt8](repeating: 255, count: n)),
            ]
            for (index, (q, codes)) in cases.enumerated() {
                let exact = zip(q, codes).reduce(Int64(0)) { $0 + Int64($1.0) * Int64($1.1) }
                for offset in [0, 1, 3, 7] {
                    var bytes = [UInt8](repeating: 0, count: n + 8)
                    for i in 0..<n { bytes[offset + i] = codes[i] }
                    let results = q.withUnsafeBufferPointer { qp in
                        bytes.withUnsafeBufferPointer { bp in
                            let b = bp.baseAddress! + offset
                            return [fm_integer_dot, fm_integer_dot_avx2, fm_integer_dot_portable].map { Int64($0(qp.baseAddress, b, n)) }
                        }
                    }
                    if results.contains(where: { $0 != exact }) {
                        failures.append("n \(n) case \(index) offset \(offset): \(results) vs \(exact)")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func queryIntegersAreWithinHalfAUnitAndCannotOverflow() {
        var random = SeededGenerator(seed: 0x17)
        for n in Self.lengths where n > 0 && n <= fm_query_integers_largest_count() {
            let query = (0..<n).map { _ in Float.random(in: -3...3, using: &random) * (n % 2 == 0 ? 1 : 1e-30) }
            var integers = [Int16](repeating: 0, count: n)
            let unit = query.withUnsafeBytes { q in integers.withUnsafeMutableBufferPointer { fm_query_integers(q.baseAddress, $0.baseAddress, n) } }
            #expect(unit > 0, "n \(n)")
            let largest = integers.map { abs(Int($0)) }.max() ?? 0
            #expect(255 * n * largest <= Int(Int32.max), "n \(n): largest \(largest)")
            #expect(largest >= 2048, "n \(n): only \(largest) levels a side")
            for i in 0..<n {
                let error = abs(Double(query[i]) - Double(unit) * Double(integers[i]))
                #expect(error <= Double(unit) * 0.5001, "n \(n) index \(i): \(query[i]) vs \(integers[i]) × \(unit)")
            }
        }
    }

    /// The accelerated conversion is the portable one: the same unit and integers, ties included.
    @Test func queryIntegersEqualThePortableOnes() {
        var random = SeededGenerator(seed: 0x18)
        for n in Self.lengths where n > 0 {
            for kind in 0..<3 {
                var query = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }
                // values that land exactly halfway between two integers, where rounding modes differ
                if kind == 1, let largest = query.map(abs).max(), largest > 0 {
                    let limit = Float(min(32767, Int(Int32.max) / (255 * n)))
                    let unit = largest / limit
                    query = query.enumerated().map { index, value in index == 0 ? value : (Float(Int(value / unit)) + 0.5) * unit }
                }
                if kind == 2 { query = query.map { $0 * 1e-30 } }
                var fast = [Int16](repeating: 7, count: n), portable = [Int16](repeating: 9, count: n)
                let (a, b) = query.withUnsafeBytes { q in
                    (fast.withUnsafeMutableBufferPointer { fm_query_integers(q.baseAddress, $0.baseAddress, n) },
                     portable.withUnsafeMutableBufferPointer { fm_query_integers_portable(q.baseAddress, $0.baseAddress, n) })
                }
                #expect(a == b && fast == portable, "n \(n) kind \(kind)")
            }
        }
    }

    @Test func queriesWithoutAnIntegerFormSayZero() {
        var integers = [Int16](repeating: 7, count: 8)
        let zeros = [Float](repeating: 0, count: 8)
        let unit = zeros.withUnsafeBytes { q in integers.withUnsafeMutableBufferPointer { fm_query_integers(q.baseAddress, $0.baseAddress, 8) } }
        #expect(unit == 0)
        #expect(integers.allSatisfy { $0 == 0 })
        let n = fm_query_integers_largest_count() + 1
        let long = [Float](repeating: 1, count: n)
        var out = [Int16](repeating: 0, count: n)
        #expect(long.withUnsafeBytes { q in out.withUnsafeMutableBufferPointer { fm_query_integers(q.baseAddress, $0.baseAddress, n) } } == 0)
    }

    @Test func integerDotMatchesTheFloatDotWithinTheQuerysRounding() {
        var random = SeededGenerator(seed: 0x18)
        for n in [16, 128, 384, 1536] {
            let query = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }
            let codes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
            var integers = [Int16](repeating: 0, count: n)
            let unit = query.withUnsafeBytes { q in integers.withUnsafeMutableBufferPointer { fm_query_integers(q.baseAddress, $0.baseAddress, n) } }
            let integerDot = Double(unit) * Double(integers.withUnsafeBufferPointer { fm_integer_dot($0.baseAddress, codes, n) })
            let floatDot = Double(query.withUnsafeBytes { fm_byte_dot($0.baseAddress, codes, n) })
            // each query value moved by at most half a unit, each code at most 255
            let bound = 0.5 * Double(unit) * Double(codes.reduce(0) { $0 + Int($1) }) + 1e-4 * abs(floatDot) + 1e-3
            #expect(abs(integerDot - floatDot) <= bound, "n \(n): \(integerDot) vs \(floatDot)")
        }
    }
}
