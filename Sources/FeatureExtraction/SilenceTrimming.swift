import Foundation

/// Voice-activity trimming: the leading and trailing frames much quieter than the loudest one are
/// silence (or breath and room noise), whose length varies with the speaker's pace and the
/// recording, not with the word.
public enum SilenceTrimming {
    /// The frames from the first to the last whose energy is within `decibels` of the loudest
    /// frame's, given natural-log mel energies (`frames × filters`); every frame when fewer than
    /// `minimumFrames` would be kept.
    public static func speechFrames(ofLogMel logMel: FeatureMatrix, within decibels: Float, minimumFrames: Int = 3) -> Range<Int> {
        let all = 0..<logMel.frameCount
        guard logMel.frameCount > 0, logMel.dimension > 0, decibels.isFinite, decibels > 0 else { return all }
        var energies = [Float](repeating: 0, count: logMel.frameCount)
        logMel.values.withUnsafeBufferPointer { mel in
            for t in all {
                // log of the frame's total energy, from the bands' logs without overflow
                let row = UnsafeBufferPointer(rebasing: mel[(t * logMel.dimension)..<((t + 1) * logMel.dimension)])
                let peak = row.max() ?? 0
                var sum: Float = 0
                for value in row { sum += exp(value - peak) }
                energies[t] = peak + log(sum)
            }
        }
        guard let loudest = energies.max() else { return all }
        // decibels of power to natural log: dB / (10 · log10 e)
        let threshold = loudest - decibels / (10 * Float(M_LOG10E))
        guard let first = energies.firstIndex(where: { $0 > threshold }),
              let last = energies.lastIndex(where: { $0 > threshold }), last - first + 1 >= minimumFrames else { return all }
        return first..<(last + 1)
    }
}
