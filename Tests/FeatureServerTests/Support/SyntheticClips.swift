import FeatureMemory
import Foundation

/// Synthetic sound clips as 16-bit PCM mono WAV bytes, so no audio fixtures are checked in.
enum SyntheticClips {
    static let sampleRate = 16_000

    /// `seconds` of a tone at `frequency` Hz with two harmonics and a little noise from `seed`:
    /// clips of one frequency sound alike, clips of frequencies far apart do not.
    static func tone(frequency: Double, seconds: Double = 1, seed: UInt64) -> Data {
        var random = SeededGenerator(seed: seed)
        let count = Int(Double(sampleRate) * seconds)
        let samples = (0..<count).map { index -> Float in
            let t = Double(index) / Double(sampleRate)
            let tone = 0.5 * sin(2 * .pi * frequency * t) + 0.2 * sin(4 * .pi * frequency * t) + 0.1 * sin(6 * .pi * frequency * t)
            return Float(tone) + Float.random(in: -0.02...0.02, using: &random)
        }
        return wav(samples)
    }

    /// 16-bit PCM mono WAV bytes of `samples` (full scale ±1).
    static func wav(_ samples: [Float]) -> Data {
        var body: [UInt8] = []
        body.reserveCapacity(samples.count * 2)
        for sample in samples {
            let value = Int16(max(-1, min(1, sample)) * 32_767)
            body += littleEndian(UInt16(bitPattern: value))
        }
        var format: [UInt8] = []
        format += littleEndian(UInt16(1))  // PCM
        format += littleEndian(UInt16(1))  // mono
        format += littleEndian(UInt32(sampleRate))
        format += littleEndian(UInt32(sampleRate * 2))  // bytes per second
        format += littleEndian(UInt16(2))  // bytes per frame
        format += littleEndian(UInt16(16))  // bits per sample
        let chunks = Array("fmt ".utf8) + littleEndian(UInt32(format.count)) + format
            + Array("data".utf8) + littleEndian(UInt32(body.count)) + body
        return Data(Array("RIFF".utf8) + littleEndian(UInt32(4 + chunks.count)) + Array("WAVE".utf8) + chunks)
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
