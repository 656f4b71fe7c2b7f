import Foundation
import Testing
@testable import FeatureExtraction

struct WindowFunctionTests {
    @Test func hannAndHammingHaveTheirEndpointsPeaksAndSymmetry() {
        let hann = WindowFunction.hann.coefficients(count: 401)
        let hamming = WindowFunction.hamming.coefficients(count: 401)
        #expect(hann[0] == 0 && hann[400] < 1e-7 && hann[200] == 1)
        #expect(abs(hamming[0] - 0.08) < 1e-6 && abs(hamming[200] - 1) < 1e-6)
        for n in 0..<200 {
            #expect(abs(hann[n] - hann[400 - n]) < 1e-6)
            #expect(abs(hamming[n] - hamming[400 - n]) < 1e-6)
        }
        #expect(WindowFunction.rectangular.coefficients(count: 4) == [1, 1, 1, 1])
        #expect(WindowFunction.hann.coefficients(count: 1) == [1])
        #expect(WindowFunction.hann.coefficients(count: 0).isEmpty)
    }

    @Test func taperedWindowsLeakLessThanRectangular() throws {
        // A tone between bins leaks; the taper pushes the leakage down far from the peak.
        let size = 512
        let tone = (0..<size).map { Float(sin(2 * Double.pi * 40.5 * Double($0) / Double(size))) }
        let fft = try RealFFT(size: size)
        func leakage(_ window: WindowFunction, at bin: Int) throws -> Float {
            let w = window.coefficients(count: size)
            let power = try fft.powerSpectrum(zip(tone, w).map(*))
            return power[bin] / power[40]
        }
        // Hamming: low first side lobes (−43 dB); Hann: side lobes falling 18 dB per octave.
        #expect(try leakage(.hamming, at: 45) < leakage(.rectangular, at: 45) * 1e-2)
        #expect(try leakage(.hann, at: 100) < leakage(.rectangular, at: 100) * 1e-3)
    }
}
