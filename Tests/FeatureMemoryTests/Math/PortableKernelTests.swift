import CFeatureMemoryShims
import Foundation
import Testing
@testable import FeatureMemory

/// Every kernel the processor may run accelerated (AVX2 + FMA, F16C) against its portable code,
/// called through the `fm_*_portable` entry points, so both paths are tested on every machine:
/// on one without the instructions the two calls run the same code and the double-precision
/// checks below still hold the portable code to the definition.
///
/// Tolerances (floats): each kernel sums its terms tᵢ in float32. To first order, a computed sum
/// lies within L·u·Σ Mᵢ of the exact one, where u = 2⁻²⁴, L bounds the roundings on any term's
/// way to the result (its own product and difference included), and Mᵢ ≥ |tᵢ| bounds the term
/// and its rounding errors. The portable dot loops (float32 and float16) and float32 L2 loop keep 8 lane sums (n/8 additions
/// each, a 3-level tree, up to 7 tail additions): L = n/8 + 11. The portable half L2 and byte
/// loops add one term at a time: L = n + 4. The accelerated loops keep 16 lane sums with fused
/// multiply-adds (n/16 + 1, then 1 + 3 for the horizontal sum, then the portable tail): L = n/16 + 16.
/// The bound used is twice the sum of the two kernels' L·u·ΣMᵢ (ε = 2u), for the second-order
/// terms, plus (n + 1)·2⁻¹⁴⁸ for products that underflow. It is tight enough that leaving out a
/// term, a lane or the tail is far outside it: one term of 1536 gaussian ones is ~1/1536 of Σ Mᵢ,
/// the bound at that length ~4·10⁻⁵ of it for the blocked kernels.
struct PortableKernelTests {
    static let lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 63, 64, 65, 383, 384, 385, 1000, 1536, 1537]
    /// Byte offsets past a 64-byte boundary: float loads at 1–3 are unaligned, and at 4 or 36 they
    /// are float-aligned but not vector-aligned.
    static let offsets = [0, 1, 2, 3, 4, 36]

    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        /// standard normal values
        case gaussian
        /// random signs and exponents 2⁻⁴⁰…2⁴⁰: terms of wildly different sizes, cancellation in dots
        case wideRange
        /// magnitudes near 10¹⁷: squares near 10³⁴, sums that stay just finite at 1537 terms
        case huge
        /// subnormal values: every product underflows
        case subnormal
        /// zeros of both signs and a few ones
        case zeros

        var testDescription: String { rawValue }

        func values(_ n: Int, using random: inout SeededGenerator) -> [Float] {
            (0..<n).map { _ in
                switch self {
                case .gaussian: return random.gaussian()
                case .wideRange:
                    let mantissa = Float.random(in: 1..<2, using: &random)
                    let sign: Float = Bool.random(using: &random) ? 1 : -1
                    return sign * mantissa * Float(sign: .plus, exponent: Int.random(in: -40...40, using: &random), significand: 1)
                case .huge: return random.gaussian() * 1e17
                case .subnormal: return Float(bitPattern: UInt32.random(in: 1...0x007F_FFFF, using: &random)) * (Bool.random(using: &random) ? 1 : -1)
                case .zeros: return [0, -0.0, 0, 1, -0.0][Int.random(in: 0..<5, using: &random)]
                }
            }
        }
    }

    /// The most roundings on a term's way to the result (see the type's comment).
    enum Loop {
        case blocked, sequential, accelerated
        func roundings(_ n: Int) -> Double {
            switch self {
            case .blocked: Double(n / 8 + 11)
            case .sequential: Double(n + 4)
            case .accelerated: Double(n / 16 + 16)
            }
        }
    }

    /// How far two float32 sums of the same `n` terms, bounded by `magnitudes` (Σ Mᵢ), may lie apart.
    static func tolerance(_ n: Int, magnitudes: Double, _ first: Loop, _ second: Loop) -> Double {
        (first.roundings(n) + second.roundings(n)) * Double(Float.ulpOfOne) * magnitudes
            + Double(n + 1) * 0x1p-148
    }

    /// Whether `got` is within `tolerance` of `expected`; infinities and NaN must match exactly.
    static func agrees(_ got: Float, _ expected: Double, within tolerance: Double) -> Bool {
        if got.isNaN || expected.isNaN { return got.isNaN && expected.isNaN }
        if got.isInfinite || expected.isInfinite { return Double(got) == expected }
        return abs(Double(got) - expected) <= tolerance
    }

    /// Runs `body` with a copy of `values` placed `offset` bytes past a 64-byte-aligned address.
    static func placed<T, R>(_ values: [T], at offset: Int, _ body: (UnsafeRawPointer) -> R) -> R {
        let size = MemoryLayout<T>.stride * values.count
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 64, alignment: 64)
        defer { memory.deallocate() }
        // a canary after the values: a kernel reading past the end gets garbage, not zeros
        memory.initializeMemory(as: UInt8.self, repeating: 0xA5)
        values.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { (memory.baseAddress! + offset).copyMemory(from: base, byteCount: size) }
        }
        return body(UnsafeRawPointer(memory.baseAddress! + offset))
    }

    static func placed<T, U, R>(
        _ a: [T], at offsetA: Int, _ b: [U], at offsetB: Int, _ body: (UnsafeRawPointer, UnsafeRawPointer) -> R
    ) -> R {
        placed(a, at: offsetA) { pa in placed(b, at: offsetB) { pb in body(pa, pb) } }
    }

    static var machine: String { "AVX2: \(fm_kernels_use_avx2() != 0), AVX-512: \(fm_kernels_use_avx512() != 0)" }

    // MARK: float32

    @Test(arguments: Kind.allCases)
    func l2SquaredAgreesWithThePortableLoop(kind: Kind) {
        var random = SeededGenerator(seed: 0x1200 + UInt64(Kind.allCases.firstIndex(of: kind)!))
        var failures: [String] = []
        for n in Self.lengths {
            for offset in Self.offsets {
                let a = kind.values(n, using: &random), b = kind.values(n, using: &random)
                // the kernels round each difference alike; its square and the sums are what differ
                let terms = zip(a, b).map { Double($0 - $1) * Double($0 - $1) }
                let exact = terms.reduce(0, +)
                let magnitudes = exact
                let (fast, portable) = Self.placed(a, at: offset, b, at: (offset * 7) % 5) { pa, pb in
                    (fm_l2_squared(pa, pb, n), fm_l2_squared_portable(pa, pb, n))
                }
                if !Self.agrees(fast, Double(portable), within: Self.tolerance(n, magnitudes: magnitudes, .accelerated, .blocked)) {
                    failures.append("n \(n) offset \(offset): \(fast) vs portable \(portable)")
                }
                if !Self.agrees(portable, exact, within: Self.tolerance(n, magnitudes: magnitudes, .blocked, .blocked) / 2) {
                    failures.append("n \(n) offset \(offset): portable \(portable) vs exact \(exact)")
                }
            }
        }
        #expect(failures.isEmpty, "\(Self.machine); \(failures.prefix(5))")
    }

    @Test(arguments: Kind.allCases)
    func dotAgreesWithThePortableLoop(kind: Kind) {
        var random = SeededGenerator(seed: 0x3400 + UInt64(Kind.allCases.firstIndex(of: kind)!))
        var failures: [String] = []
        for n in Self.lengths {
            for offset in Self.offsets {
                let a = kind.values(n, using: &random), b = kind.values(n, using: &random)
                let terms = zip(a, b).map { Double($0) * Double($1) }
                let exact = terms.reduce(0, +)
                let magnitudes = terms.reduce(0) { $0 + abs($1) }
                let (fast, portable) = Self.placed(a, at: (offset * 3) % 7, b, at: offset) { pa, pb in
                    (fm_dot(pa, pb, n), fm_dot_portable(pa, pb, n))
                }
                if !Self.agrees(fast, Double(portable), within: Self.tolerance(n, magnitudes: magnitudes, .accelerated, .blocked)) {
                    failures.append("n \(n) offset \(offset): \(fast) vs portable \(portable)")
                }
                if !Self.agrees(portable, exact, within: Self.tolerance(n, magnitudes: magnitudes, .blocked, .blocked) / 2) {
                    failures.append("n \(n) offset \(offset): portable \(portable) vs exact \(exact)")
                }
            }
        }
        #expect(failures.isEmpty, "\(Self.machine); \(failures.prefix(5))")
    }

    /// Overflow and NaN come out of both paths alike.
    @Test func infinitiesAndNaNPropagateAlike() {
        for n in [1, 8, 17, 384, 1537] {
            // every square overflows
            let big = [Float](repeating: 1e20, count: n), minusBig = [Float](repeating: -1e20, count: n)
            // every term finite, the sum not: 1537 · 10³⁶ > 3.4 · 10³⁸ whatever the order of the additions
            let large = [Float](repeating: 1e18, count: n)
            for offset in [0, 1, 3] {
                Self.placed(big, at: offset, minusBig, at: 2) { pa, pb in
                    #expect(fm_l2_squared(pa, pb, n) == .infinity && fm_l2_squared_portable(pa, pb, n) == .infinity)
                    #expect(fm_dot(pa, pb, n) == -.infinity && fm_dot_portable(pa, pb, n) == -.infinity)
                }
                if n >= 384 {
                    Self.placed(large, at: offset, large, at: 0) { pa, pb in
                        #expect(fm_dot(pa, pb, n) == .infinity && fm_dot_portable(pa, pb, n) == .infinity)
                    }
                }
                // a NaN in the vector loop, and one in the tail
                for position in Set([0, n - 1]) {
                    var withNaN = [Float](repeating: 1, count: n)
                    withNaN[position] = .nan
                    Self.placed(withNaN, at: offset, large, at: 1) { pa, pb in
                        #expect(fm_l2_squared(pa, pb, n).isNaN && fm_l2_squared_portable(pa, pb, n).isNaN)
                        #expect(fm_dot(pa, pb, n).isNaN && fm_dot_portable(pa, pb, n).isNaN)
                    }
                }
            }
        }
    }

    /// The distance of a vector to itself is exactly 0 on both paths, unaligned or not.
    @Test func aVectorIsAtDistanceExactlyZeroFromACopyOfItself() {
        var random = SeededGenerator(seed: 77)
        for n in Self.lengths {
            let a = Kind.wideRange.values(n, using: &random)
            for offset in Self.offsets {
                Self.placed(a, at: offset, a, at: (offset + 1) % 4) { pa, pb in
                    #expect(fm_l2_squared(pa, pb, n) == 0)
                    #expect(fm_l2_squared_portable(pa, pb, n) == 0)
                }
            }
        }
    }

    // MARK: float16 copies

    /// Vectors whose scaled values hit every case of the float16 conversion: normal and
    /// subnormal results, ties to even, values below half the smallest subnormal.
    static func halfInputs(_ n: Int, using random: inout SeededGenerator) -> [[Float]] {
        var inputs = Kind.allCases.map { $0.values(n, using: &random) }
        // largest magnitude 1 (scale 2⁻¹⁴) and elements that land exactly halfway between two
        // float16 values once scaled: odd multiples of 2⁻¹¹ (normal range) and 2⁻²⁵ (subnormal)
        if n > 0 {
            var ties = (0..<n).map { _ in
                let sign: Float = Bool.random(using: &random) ? 1 : -1
                return sign * (Bool.random(using: &random)
                    ? Float(2 * Int.random(in: 1024..<2048, using: &random) + 1) * 0x1p-11 * 0x1p-14
                    : Float(2 * Int.random(in: 0..<512, using: &random) + 1) * 0x1p-25 * 0x1p-14)
            }
            ties[0] = 1
            inputs.append(ties)
            // one large element, the rest 2⁻¹⁰…2⁻³⁰ of it: float16 subnormals and zeros
            var spread = (0..<n).map { _ in Float(sign: .plus, exponent: -Int.random(in: 10...30, using: &random), significand: Float.random(in: 1..<2, using: &random)) }
            spread[0] = 3
            inputs.append(spread)
        }
        return inputs
    }

    /// Both encoders implement IEEE round-to-nearest-even: the codes must be identical, bit for bit.
    @Test func halfEncodingIsBitIdenticalToThePortableEncoder() {
        var random = SeededGenerator(seed: 0x16)
        var failures: [String] = []
        for n in Self.lengths {
            for (index, values) in Self.halfInputs(n, using: &random).enumerated() {
                for offset in [0, 1, 2, 3] {
                    var fast = [UInt16](repeating: 0xDEAD, count: n), portable = [UInt16](repeating: 0xBEEF, count: n)
                    let (fastScale, portableScale) = Self.placed(values, at: offset) { p in
                        (fast.withUnsafeMutableBufferPointer { fm_half_encode(p, $0.baseAddress, n) },
                         portable.withUnsafeMutableBufferPointer { fm_half_encode_portable(p, $0.baseAddress, n) })
                    }
                    if fastScale.bitPattern != portableScale.bitPattern || fast != portable {
                        let first = zip(fast, portable).enumerated().first { $0.element.0 != $0.element.1 }
                        failures.append("n \(n) input \(index) offset \(offset): scale \(fastScale) vs \(portableScale), first difference \(String(describing: first))")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(Self.machine); \(failures.prefix(5))")
    }

    /// Both encoders keep every finite vector to float16 precision of its largest magnitude L:
    /// scaled by 2^(14 − ⌊log₂ L⌋), values lie below 2¹⁵, where float16 steps are 16, so each
    /// decodes within 8 · scale ≤ L · 2⁻¹¹. From the largest floats down to L = 2⁻¹³⁵, the
    /// smallest whose scale 2⁻¹⁴⁹ is still a float.
    @Test(arguments: [Float(3e38), 1e20, 1, 1e-20, 1e-33, 0x1p-113, 0x1.fffffep-114, 1e-35, 1e-37, 0x1p-126, 0x1.8p-130, 0x1p-135])
    func halfCopiesDecodeToTheirValuesAtEveryMagnitude(largest: Float) {
        var random = SeededGenerator(seed: UInt64(largest.bitPattern))
        var failures: [String] = []
        for n in [1, 7, 8, 17, 384] {
            // the largest first, the rest down to 2⁻²⁰ of it (floats, possibly subnormal)
            let values = [largest] + (1..<n).map { _ in
                largest * Float.random(in: 0x1p-20...1, using: &random) * (Bool.random(using: &random) ? 1 : -1)
            }
            for (name, encode) in [("accelerated", fm_half_encode), ("portable", fm_half_encode_portable)] as [(String, (UnsafeRawPointer?, UnsafeMutablePointer<UInt16>?, Int) -> Float)] {
                var codes = [UInt16](repeating: 0, count: n)
                let scale = values.withUnsafeBytes { v in codes.withUnsafeMutableBufferPointer { encode(v.baseAddress, $0.baseAddress, n) } }
                for (value, code) in zip(values, codes) {
                    let decoded = Double(scale) * Double(Float(Float16(bitPattern: code)))
                    if !(abs(decoded - Double(value)) <= Double(largest) * 0x1p-11) {
                        failures.append("\(name) n \(n): \(value) decodes to \(decoded) (scale \(scale), code \(String(code, radix: 16)))")
                        break
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(4))")
    }

    @Test func halfDistancesAgreeWithThePortableLoops() {
        var random = SeededGenerator(seed: 0x61)
        var failures: [String] = []
        for n in Self.lengths {
            let inputs = Self.halfInputs(n, using: &random)
            for (index, values) in inputs.enumerated() {
                var codes = [UInt16](repeating: 0, count: n)
                let scale = values.withUnsafeBytes { v in codes.withUnsafeMutableBufferPointer { fm_half_encode_portable(v.baseAddress, $0.baseAddress, n) } }
                let decoded = codes.map { Double(Float(Float16(bitPattern: $0))) }
                for query in [inputs[(index + 1) % inputs.count], values] {
                    let dotTerms = zip(query, decoded).map { Double($0) * $1 }
                    let dotExact = dotTerms.reduce(0, +), dotMagnitudes = dotTerms.reduce(0) { $0 + abs($1) }
                    // scale · code is exact (a power of two times a float16) unless it underflows,
                    // which the absolute part of the bound covers; the difference is rounded once
                    let differences = zip(query, decoded).map { Double($0) - Double(scale) * $1 }
                    let l2Exact = differences.reduce(0) { $0 + $1 * $1 }
                    let l2Magnitudes = zip(query, decoded).reduce(0) { $0 + pow(abs(Double($1.0)) + abs(Double(scale) * $1.1), 2) }
                    for offset in [0, 1, 3] {
                        // codes live at 64-byte-aligned slot offsets in the cache; 2 keeps them
                        // uint16-aligned but off every vector boundary
                        let codeOffset = offset == 0 ? 0 : 2
                        let results = Self.placed(query, at: offset, codes, at: codeOffset) { q, c in
                            let h = c.assumingMemoryBound(to: UInt16.self)
                            return (fm_half_dot(q, h, n), fm_half_dot_portable(q, h, n),
                                    fm_half_l2_squared(q, h, scale, n), fm_half_l2_squared_portable(q, h, scale, n))
                        }
                        let context = "n \(n) input \(index) offset \(offset)"
                        if !Self.agrees(results.0, Double(results.1), within: Self.tolerance(n, magnitudes: dotMagnitudes, .accelerated, .blocked)) {
                            failures.append("\(context): dot \(results.0) vs portable \(results.1)")
                        }
                        if !Self.agrees(results.1, dotExact, within: Self.tolerance(n, magnitudes: dotMagnitudes, .blocked, .blocked) / 2) {
                            failures.append("\(context): portable dot \(results.1) vs exact \(dotExact)")
                        }
                        if !Self.agrees(results.2, Double(results.3), within: Self.tolerance(n, magnitudes: l2Magnitudes, .accelerated, .sequential)) {
                            failures.append("\(context): l2 \(results.2) vs portable \(results.3)")
                        }
                        if !Self.agrees(results.3, l2Exact, within: Self.tolerance(n, magnitudes: l2Magnitudes, .sequential, .sequential) / 2) {
                            failures.append("\(context): portable l2 \(results.3) vs exact \(l2Exact)")
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(Self.machine); \(failures.prefix(5))")
    }

    // MARK: 8-bit codes

    @Test func byteDistancesAgreeWithThePortableLoops() {
        var random = SeededGenerator(seed: 0x88)
        var failures: [String] = []
        for n in Self.lengths where n > 0 {
            for kind in Kind.allCases {
                let values = kind.values(n, using: &random)
                var codes = [UInt8](repeating: 0, count: n)
                var step: Float = 0
                let low = values.withUnsafeBytes { v in codes.withUnsafeMutableBufferPointer { fm_byte_encode(v.baseAddress!, $0.baseAddress, n, &step) } }
                // a random code in every position too, so every lane sees all 256 levels
                let randomCodes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
                for (codeSet, theseCodes) in [codes, randomCodes].enumerated() {
                    let query = Kind.gaussian.values(n, using: &random)
                    let dotTerms = zip(query, theseCodes).map { Double($0) * Double($1) }
                    let dotExact = dotTerms.reduce(0, +), dotMagnitudes = dotTerms.reduce(0) { $0 + abs($1) }
                    // low + step · code is rounded once (fused) or twice: bounded relative to
                    // |low| + |step · code|, not to the value, which may cancel
                    let l2Exact = zip(query, theseCodes).reduce(0.0) { sum, pair in
                        let d = Double(pair.0) - (Double(low) + Double(step) * Double(pair.1))
                        return sum + d * d
                    }
                    let l2Magnitudes = zip(query, theseCodes).reduce(0.0) { sum, pair in
                        sum + pow(abs(Double(pair.0)) + abs(Double(low)) + abs(Double(step) * Double(pair.1)), 2)
                    }
                    for offset in [0, 1, 2, 3, 5] {
                        let results = Self.placed(query, at: offset, theseCodes, at: (offset * 3) % 8) { q, c in
                            let b = c.assumingMemoryBound(to: UInt8.self)
                            return (fm_byte_dot(q, b, n), fm_byte_dot_portable(q, b, n),
                                    fm_byte_l2_squared(q, b, low, step, n), fm_byte_l2_squared_portable(q, b, low, step, n))
                        }
                        let context = "n \(n) \(kind) codes \(codeSet) offset \(offset)"
                        if !Self.agrees(results.0, Double(results.1), within: Self.tolerance(n, magnitudes: dotMagnitudes, .accelerated, .sequential)) {
                            failures.append("\(context): dot \(results.0) vs portable \(results.1)")
                        }
                        if !Self.agrees(results.1, dotExact, within: Self.tolerance(n, magnitudes: dotMagnitudes, .sequential, .sequential) / 2) {
                            failures.append("\(context): portable dot \(results.1) vs exact \(dotExact)")
                        }
                        if !Self.agrees(results.2, Double(results.3), within: Self.tolerance(n, magnitudes: l2Magnitudes, .accelerated, .sequential)) {
                            failures.append("\(context): l2 \(results.2) vs portable \(results.3)")
                        }
                        if !Self.agrees(results.3, l2Exact, within: Self.tolerance(n, magnitudes: l2Magnitudes, .sequential, .sequential) / 2) {
                            failures.append("\(context): portable l2 \(results.3) vs exact \(l2Exact)")
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(Self.machine); \(failures.prefix(5))")
    }
}
