import Foundation
import Testing
@testable import FeatureMemory

/// The SIMD kernels against a scalar double-precision reference, at every length that
/// exercises the 16-, 8- and 1-float loops, from addresses that are not float-aligned.
struct DistanceTests {
    static let lengths = Array(1...70) + [127, 128, 129, 384, 1000]

    /// Runs `body` with `a` and `b` copied to addresses `offsetA` and `offsetB` bytes past
    /// 64-byte-aligned ones (so 1, 2, 3 make them unaligned for floats).
    func withPlaced<R>(
        _ a: [Float], at offsetA: Int, _ b: [Float], at offsetB: Int,
        _ body: (UnsafeRawPointer, UnsafeRawPointer) -> R
    ) -> R {
        let bytesA = UnsafeMutableRawBufferPointer.allocate(byteCount: a.count * 4 + 64, alignment: 64)
        let bytesB = UnsafeMutableRawBufferPointer.allocate(byteCount: b.count * 4 + 64, alignment: 64)
        defer { bytesA.deallocate(); bytesB.deallocate() }
        a.withUnsafeBytes { (bytesA.baseAddress! + offsetA).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        b.withUnsafeBytes { (bytesB.baseAddress! + offsetB).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return body(UnsafeRawPointer(bytesA.baseAddress! + offsetA), UnsafeRawPointer(bytesB.baseAddress! + offsetB))
    }

    /// A bound on the float32 rounding error of a sum of `n` products whose magnitudes add up to `scale`.
    func tolerance(_ n: Int, scale: Double) -> Double {
        Double(n + 2) * Double(Float.ulpOfOne) * scale + 1e-30
    }

    @Test(arguments: [0, 1, 2, 3])
    func l2SquaredMatchesTheReference(offset: Int) {
        var random = SeededGenerator(seed: 1000 + UInt64(offset))
        var failures: [String] = []
        for n in Self.lengths {
            let a = random.gaussianVector(n), b = random.gaussianVector(n)
            let expected = Reference.l2Squared(a, b)
            for (offsetA, offsetB) in [(offset, offset), (offset, (offset + 1) % 4), (0, offset)] {
                let got = withPlaced(a, at: offsetA, b, at: offsetB) { Distance.l2Squared($0, $1, count: n) }
                if abs(Double(got) - expected) > tolerance(n, scale: expected) {
                    failures.append("n \(n) offsets \(offsetA),\(offsetB): \(got) vs \(expected)")
                }
            }
        }
        #expect(failures.isEmpty, "AVX2: \(Distance.usesAVX2); \(failures.prefix(5))")
    }

    @Test(arguments: [0, 1, 2, 3])
    func dotMatchesTheReference(offset: Int) {
        var random = SeededGenerator(seed: 2000 + UInt64(offset))
        var failures: [String] = []
        for n in Self.lengths {
            let a = random.gaussianVector(n), b = random.gaussianVector(n)
            let expected = Reference.dot(a, b)
            let scale = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            for (offsetA, offsetB) in [(offset, offset), (offset, (offset + 3) % 4), (0, offset)] {
                let got = withPlaced(a, at: offsetA, b, at: offsetB) { Distance.dot($0, $1, count: n) }
                if abs(Double(got) - expected) > tolerance(n, scale: scale) {
                    failures.append("n \(n) offsets \(offsetA),\(offsetB): \(got) vs \(expected)")
                }
            }
        }
        #expect(failures.isEmpty, "AVX2: \(Distance.usesAVX2); \(failures.prefix(5))")
    }

    @Test(arguments: Metric.allCases)
    func distanceUnderEachMetricMatchesTheReference(metric: Metric) {
        var random = SeededGenerator(seed: 3000)
        var failures: [String] = []
        for n in Self.lengths {
            for offset in 0...3 {
                var a = random.gaussianVector(n), b = random.gaussianVector(n)
                if metric == .innerProduct {
                    // unit vectors, as inner-product stores usually hold
                    let na = Float(Reference.norm(a)), nb = Float(Reference.norm(b))
                    a = a.map { $0 / na }
                    b = b.map { $0 / nb }
                }
                let expected = Reference.distance(a, b, metric: metric)
                let got = withPlaced(a, at: offset, b, at: 3 - offset) {
                    Distance.between($0, norm: a.euclideanNorm, $1, norm: b.euclideanNorm, count: n, metric: metric)
                }
                let scale = metric == .l2 ? expected : 1 + Reference.norm(a) * Reference.norm(b)
                if abs(Double(got) - expected) > 4 * tolerance(n, scale: scale) {
                    failures.append("n \(n) offset \(offset): \(got) vs \(expected)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test(arguments: Metric.allCases)
    func aVectorIsAtDistanceZeroFromItselfUnderL2AndCosine(metric: Metric) {
        var random = SeededGenerator(seed: 4)
        for n in [1, 7, 8, 16, 17, 384] {
            let a = random.gaussianVector(n)
            let norm = a.euclideanNorm
            let d = a.withUnsafeBytes { p in
                Distance.between(p.baseAddress!, norm: norm, p.baseAddress!, norm: norm, count: n, metric: metric)
            }
            switch metric {
            case .l2: #expect(d == 0)
            case .cosine: #expect(abs(d) < 1e-5)
            case .innerProduct: #expect(abs(Double(d) - (1 - Reference.dot(a, a))) < 1e-4 * Reference.dot(a, a) + 1e-5)
            }
        }
    }

    @Test func zeroLengthIsZero() {
        let a: [Float] = [1]
        a.withUnsafeBytes { p in
            #expect(Distance.l2Squared(p.baseAddress!, p.baseAddress!, count: 0) == 0)
            #expect(Distance.dot(p.baseAddress!, p.baseAddress!, count: 0) == 0)
        }
    }

    @Test func euclideanNormIsAccumulatedInDoublePrecision() {
        var random = SeededGenerator(seed: 9)
        for n in [1, 3, 384, 10_000] {
            let a = random.gaussianVector(n)
            #expect(a.euclideanNorm == Float(Reference.norm(a)))
        }
        // float32 squares would overflow here, double ones do not
        #expect([Float(1e20), Float(1e20)].euclideanNorm == Float(1e20 * 2.0.squareRoot()))
        #expect([Float]().euclideanNorm == 0)
    }
}
