import Foundation
import Testing
@testable import fmdb

/// `FixedPoint.format` writes what `String(format: "%.Nf")` writes, away from exact binary ties.
@Suite struct FixedPointTests {
    @Test func matchesPrintfOnSeededValues() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<20_000 {
            let magnitude = Double.random(in: -6...12, using: &generator)
            let value = (Bool.random(using: &generator) ? -1 : 1) * pow(10, magnitude) * Double.random(in: 1..<10, using: &generator)
            for digits in [0, 1, 3, 4] {
                // a value within a rounding error of a tie may round either way in either formatter
                let scaled = abs(value) * pow(10, Double(digits))
                if abs(scaled - scaled.rounded(.down) - 0.5) < max(1e-9, scaled * 1e-15) { continue }
                let expected = String(format: "%.\(digits)f", value)
                #expect(FixedPoint.format(value, digits: digits) == expected, "\(value) with \(digits) digits")
                checked += 1
            }
        }
        #expect(checked > 70_000)
    }

    @Test func edges() {
        #expect(FixedPoint.format(0, digits: 4) == "0.0000")
        #expect(FixedPoint.format(-0.00001, digits: 4) == "-0.0000")
        #expect(FixedPoint.format(-0.00006, digits: 4) == "-0.0001")
        #expect(FixedPoint.format(1.99996, digits: 4) == "2.0000")
        #expect(FixedPoint.format(12.5, digits: 0) == "13")
        #expect(FixedPoint.format(.nan, digits: 2) == "nan")
        #expect(FixedPoint.format(-.infinity, digits: 2) == "-inf")
        #expect(FixedPoint.format(.infinity, digits: 2) == "inf")
        #expect(FixedPoint.format(-3953466336447.28125, digits: 4) == "-3953466336447.2812")
        #expect(FixedPoint.format(0.1234, digits: 42) == String(format: "%.9f", 0.1234))
    }
}
