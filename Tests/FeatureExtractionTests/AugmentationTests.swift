@testable import FeatureExtraction
import Foundation
import Testing

/// Augmentation: speed changes the length and the pitch, noise lands at the ratio asked for.
struct AugmentationTests {
    @Test func speedAndNoiseVariantsAreWhatTheyClaim() throws {
        let clip = AudioClip(samples: Signals.sine(frequency: 440, sampleRate: 16_000, seconds: 0.5), sampleRate: 16_000)
        let augmentation = try Augmentation(speeds: [0.9, 1, 1.25], noiseRatios: [20])
        #expect(augmentation.count == 3)
        let variants = try augmentation.variants(of: clip)
        #expect(variants.count == 3)
        #expect(abs(Double(variants[0].samples.count) - 8_000 / 0.9) < 40)
        #expect(abs(Double(variants[1].samples.count) - 8_000 / 1.25) < 40)
        // faster playback: a higher tone (fewer samples between rising zero crossings)
        func crossings(_ x: [Float]) -> Int { zip(x, x.dropFirst()).filter { $0 < 0 && $1 >= 0 }.count }
        let original = Double(crossings(clip.samples)) / Double(clip.samples.count)
        let faster = Double(crossings(variants[1].samples)) / Double(variants[1].samples.count)
        #expect(abs(faster / original - 1.25) < 0.05)
        // noise power against signal power: 20 dB
        let noise = zip(variants[2].samples, clip.samples).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
        let signal = clip.samples.map { Double($0) * Double($0) }.reduce(0, +)
        #expect(abs(10 * log10(signal / noise) - 20) < 0.5)
        #expect(try augmentation.variants(of: clip) == variants)
        #expect(throws: AudioError.self) { try Augmentation(speeds: [3]) }
        #expect(throws: AudioError.self) { try Augmentation(noiseRatios: [.nan]) }
    }

    @Test func aPitchShiftKeepsTheLengthAndMovesTheTone() throws {
        let clip = AudioClip(samples: Signals.sine(frequency: 300, sampleRate: 16_000, seconds: 0.6), sampleRate: 16_000)
        let variants = try Augmentation(pitchShifts: [4, -4]).variants(of: clip)
        #expect(variants.count == 2)
        func crossings(_ x: [Float]) -> Double { Double(zip(x, x.dropFirst()).filter { $0 < 0 && $1 >= 0 }.count) }
        for (variant, shift) in zip(variants, [4.0, -4.0]) {
            #expect(abs(variant.samples.count - clip.samples.count) <= 2)
            // the tone's rate of rising zero crossings, away from the ends
            let middle = Array(variant.samples[1_000..<(variant.samples.count - 1_000)])
            let ratio = crossings(middle) / crossings(Array(clip.samples[1_000..<(clip.samples.count - 1_000)]))
            #expect(abs(ratio - pow(2, shift / 12)) < 0.03, "shift \(shift): ratio \(ratio)")
        }
        #expect(throws: AudioError.self) { try Augmentation(pitchShifts: [13]) }
        // a clip too short to stretch is only played faster or slower, never a crash
        let short = AudioClip(samples: Array(clip.samples.prefix(500)), sampleRate: 16_000)
        #expect(try Augmentation(pitchShifts: [2]).variants(of: short).count == 1)
    }
}
