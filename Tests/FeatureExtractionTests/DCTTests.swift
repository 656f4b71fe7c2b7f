import Foundation
import Testing
@testable import FeatureExtraction

struct DCTTests {
    @Test func fullDCTIsOrthonormal() throws {
        let n = 16
        let dct = try DCT(inputCount: n, outputCount: n)
        for a in 0..<n {
            for b in 0..<n {
                var dot: Float = 0
                for m in 0..<n { dot += dct.matrix[a * n + m] * dct.matrix[b * n + m] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5)
            }
        }
    }

    @Test func constantInputHasOnlyC0() throws {
        let out = try DCT(inputCount: 40, outputCount: 13).transform([Float](repeating: 2, count: 40))
        #expect(abs(out[0] - 2 * Float(40).squareRoot()) < 1e-4)
        #expect(out.dropFirst().allSatisfy { abs($0) < 1e-4 })
    }

    @Test func tooManyCoefficientsThrow() {
        #expect(throws: AudioError.invalidConfiguration("DCT needs 1 ≤ coefficients (41) ≤ inputs (40)")) { try DCT(inputCount: 40, outputCount: 41) }
    }
}
