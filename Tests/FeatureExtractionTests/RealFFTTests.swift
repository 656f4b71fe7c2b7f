import Foundation
import Testing
@testable import FeatureExtraction

struct RealFFTTests {
    func naiveDFT(_ x: [Float]) -> (real: [Double], imaginary: [Double]) {
        let n = x.count
        var re = [Double](repeating: 0, count: n / 2 + 1), im = re
        for k in 0...(n / 2) {
            for t in 0..<n {
                let angle = -2 * Double.pi * Double(k * t) / Double(n)
                re[k] += Double(x[t]) * cos(angle)
                im[k] += Double(x[t]) * sin(angle)
            }
        }
        return (re, im)
    }

    @Test(arguments: [2, 4, 8, 16, 64, 512, 1024])
    func matchesANaiveDFT(size: Int) throws {
        let x = Signals.noise(count: size, amplitude: 1, seed: UInt64(size))
        let fft = try RealFFT(size: size)
        let (re, im) = try fft.transform(x)
        let (eRe, eIm) = naiveDFT(x)
        let tolerance = 1e-5 * Double(size)
        for k in 0...(size / 2) {
            #expect(abs(Double(re[k]) - eRe[k]) < tolerance, "bin \(k) real")
            #expect(abs(Double(im[k]) - eIm[k]) < tolerance, "bin \(k) imaginary")
        }
        let power = try fft.powerSpectrum(x)
        for k in 0...(size / 2) {
            let expected = eRe[k] * eRe[k] + eIm[k] * eIm[k]
            #expect(abs(Double(power[k]) - expected) < tolerance * (1 + expected.squareRoot()) * 2, "power bin \(k)")
        }
    }

    @Test func aBinCentredCosineLandsInItsBin() throws {
        let size = 512
        let x = (0..<size).map { Float(cos(2 * Double.pi * 37 * Double($0) / Double(size))) }
        let power = try RealFFT(size: size).powerSpectrum(x)
        #expect(Signals.argmax(power) == 37)
        #expect(abs(power[37] - Float(size * size / 4)) < 1)
    }

    @Test(arguments: [0, 1, 3, 400, -8])
    func nonPowerOfTwoSizesThrow(size: Int) {
        #expect(throws: AudioError.invalidConfiguration("FFT size \(size) is not a power of two ≥ 2")) { try RealFFT(size: size) }
    }

    @Test func wrongInputLengthThrows() throws {
        #expect(throws: AudioError.dimensionMismatch(expected: 8, actual: 7)) { try RealFFT(size: 8).powerSpectrum([Float](repeating: 0, count: 7)) }
    }
}
