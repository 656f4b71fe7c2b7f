import Foundation
import Testing
@testable import FeatureExtraction

struct MelFilterbankTests {
    @Test func htkMelScaleMatchesItsDefinition() {
        #expect(abs(MelScale.mel(fromHertz: 1000) - 999.985) < 0.01)
        #expect(abs(MelScale.mel(fromHertz: 700) - 2595 * log10(2)) < 1e-9)
        for f in [0.0, 20, 440, 8000] { #expect(abs(MelScale.hertz(fromMel: MelScale.mel(fromHertz: f)) - f) < 1e-6) }
    }

    @Test func centresAreAscendingAndInsideTheRange() throws {
        let bank = try MelFilterbank(filterCount: 40, fftSize: 512, sampleRate: 16_000, minimumFrequency: 20, maximumFrequency: 8000)
        #expect(bank.centerFrequencies.count == 40)
        #expect(zip(bank.centerFrequencies, bank.centerFrequencies.dropFirst()).allSatisfy { $0 < $1 })
        #expect(bank.centerFrequencies[0] > 20 && bank.centerFrequencies[39] < 8000)
        // Equal spacing on the mel scale.
        let mels = bank.centerFrequencies.map(MelScale.mel(fromHertz:))
        let steps = zip(mels, mels.dropFirst()).map { $1 - $0 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-6 })
    }

    @Test(arguments: [300.0, 1000, 2500, 6000])
    func aToneLandsInTheFilterCentredNearest(frequency: Double) throws {
        let extractor = try MFCCExtractor()
        let tone = Signals.sine(frequency: frequency, sampleRate: 16_000, seconds: 0.5)
        let logMel = try extractor.logMelSpectrogram(from: tone, sampleRate: 16_000)
        var average = [Float](repeating: 0, count: logMel.dimension)
        for t in 0..<logMel.frameCount {
            for (m, v) in logMel.frame(t).enumerated() { average[m] += v }
        }
        let centres = extractor.filterbank.centerFrequencies
        let nearest = try #require(centres.indices.min { abs(centres[$0] - frequency) < abs(centres[$1] - frequency) })
        #expect(Signals.argmax(average) == nearest)
    }

    @Test func eachFilterPeaksAtOneAtABinOnItsCentre() throws {
        // fftSize = rate gives 1 Hz bins, so every centre lies within half a bin of one.
        let bank = try MelFilterbank(filterCount: 10, fftSize: 16_384, sampleRate: 16_384, minimumFrequency: 0, maximumFrequency: 8192)
        for (m, centre) in bank.centerFrequencies.enumerated() {
            var power = [Float](repeating: 0, count: bank.binCount)
            power[Int(centre.rounded())] = 1
            let energies = try bank.apply(power)
            #expect(abs(energies[m] - 1) < 0.01)
            #expect(Signals.argmax(energies) == m)
        }
    }

    @Test func rangeBeyondNyquistThrows() {
        #expect(throws: AudioError.invalidConfiguration("mel range 20.0–9000.0 Hz must lie within 0–8000.0 Hz")) {
            try MelFilterbank(filterCount: 40, fftSize: 512, sampleRate: 16_000, minimumFrequency: 20, maximumFrequency: 9000)
        }
    }
}
