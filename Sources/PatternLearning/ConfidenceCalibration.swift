/// Maps raw recognition scores to the accuracy observed at those scores on held-out examples:
/// scores are grouped in equal-width bins, adjacent bins that would otherwise decrease are pooled
/// (isotonic regression), so a higher score never means a lower confidence, and each pool states
/// (right + 1) ÷ (count + 2), so few observations never claim certainty.
public struct ConfidenceCalibration: Sendable, Equatable, Codable {
    /// One row of the reliability table.
    public struct Bin: Sendable, Equatable, Codable {
        /// The lowest raw score of the bin's range [lower, upper).
        public var lower: Float
        /// The end of the bin's range, not included (but 1 is, in the last bin).
        public var upper: Float
        /// Held-out examples whose score fell here.
        public var count: Int
        /// Of those, how many were recognized correctly.
        public var correct: Int
        /// The confidence stated for scores in this bin after smoothing.
        public var confidence: Float
        /// Observed accuracy, correct ÷ count (nil for an empty bin).
        public var accuracy: Float? { count > 0 ? Float(correct) / Float(count) : nil }
    }

    /// The reliability table, lowest scores first.
    public var bins: [Bin]

    /// The bin counts a calibration takes: scores lie in 0…1, so a thousand bins is already finer
    /// than any held-out set can fill, and the table is allocated (and stored) by its bin count.
    public static let binCountRange = 1...1_000

    /// A calibration from (raw score, was the answer right) pairs, in `binCount` bins (clamped to `binCountRange`).
    public init(observations: [(score: Float, correct: Bool)], binCount: Int = 10) {
        let count = min(max(binCount, Self.binCountRange.lowerBound), Self.binCountRange.upperBound)
        var bins = (0..<count).map { index in
            Bin(lower: Float(index) / Float(count), upper: Float(index + 1) / Float(count), count: 0, correct: 0, confidence: 0)
        }
        for observation in observations {
            let index = min(max(Int(observation.score * Float(count)), 0), count - 1)
            bins[index].count += 1
            if observation.correct { bins[index].correct += 1 }
        }
        // Laplace's rule of succession per bin (3 right out of 3 states 0.8, not certainty), then
        // adjacent violators pooled, weighted by their counts, so the table never decreases
        var blocks: [(sum: Double, weight: Double, members: [Int])] = []
        for index in bins.indices where bins[index].count > 0 {
            let smoothed = (Double(bins[index].correct) + 1) / (Double(bins[index].count) + 2)
            let weight = Double(bins[index].count)
            blocks.append((smoothed * weight, weight, [index]))
            while blocks.count >= 2 {
                let last = blocks[blocks.count - 1], previous = blocks[blocks.count - 2]
                guard previous.sum / previous.weight > last.sum / last.weight else { break }
                blocks.removeLast(2)
                blocks.append((previous.sum + last.sum, previous.weight + last.weight, previous.members + last.members))
            }
        }
        for block in blocks {
            for member in block.members { bins[member].confidence = Float(block.sum / block.weight) }
        }
        // empty bins take the confidence of the nearest non-empty bin below (or above, at the start)
        var carried: Float?
        for index in bins.indices {
            if bins[index].count > 0 { carried = bins[index].confidence } else if let carried { bins[index].confidence = carried }
        }
        if let firstFilled = bins.firstIndex(where: { $0.count > 0 }) {
            for index in 0..<firstFilled { bins[index].confidence = bins[firstFilled].confidence }
        }
        self.bins = bins
    }

    /// The calibrated confidence of a raw score.
    public func confidence(forScore score: Float) -> Float {
        guard !bins.isEmpty else { return score }
        let index = min(max(Int(score * Float(bins.count)), 0), bins.count - 1)
        return bins[index].confidence
    }
}
