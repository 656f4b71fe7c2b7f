import Testing
@testable import FeatureExtraction

struct DeltasTests {
    /// Frames `t` with values `slope·t + offset` per column.
    func ramp(frames: Int, slopes: [Float]) throws -> FeatureMatrix {
        let values = (0..<frames).flatMap { t in slopes.enumerated().map { j, s in s * Float(t) + Float(j) } }
        return try FeatureMatrix(frameCount: frames, dimension: slopes.count, values: values)
    }

    @Test func deltasOfALinearRampAreItsSlopeAwayFromTheEdges() throws {
        let slopes: [Float] = [1, -0.5, 3]
        let deltas = try Deltas.of(ramp(frames: 12, slopes: slopes), width: 2)
        for t in 2..<10 { #expect(Array(deltas.frame(t)) == slopes) }
        // Edge frames repeat: at t = 0, c[-1] = c[-2] = c[0], so d = (1·s + 2·2s)/10 = s/2.
        #expect(Array(deltas.frame(0)) == slopes.map { $0 / 2 })
        #expect(Array(deltas.frame(11)) == slopes.map { $0 / 2 })
        // At t = 1 only c[-1] is replicated: d = (1·2s + 2·3s)/10 = 0.8 s.
        for (d, s) in zip(deltas.frame(1), slopes) { #expect(abs(d - 0.8 * s) < 1e-6) }
    }

    @Test func deltaDeltasOfARampVanishInTheInterior() throws {
        let deltas = try Deltas.of(ramp(frames: 20, slopes: [2]))
        let accelerations = try Deltas.of(deltas)
        for t in 4..<16 { #expect(accelerations.values[t] == 0) }
    }

    @Test func singleFrameHasZeroDeltas() throws {
        let one = try FeatureMatrix(frameCount: 1, dimension: 3, values: [1, 2, 3])
        #expect(try Deltas.of(one).values == [0, 0, 0])
    }

    @Test func widthZeroThrows() throws {
        #expect(throws: AudioError.invalidConfiguration("delta width 0 must be ≥ 1")) { try Deltas.of(ramp(frames: 3, slopes: [1]), width: 0) }
    }
}
