/// How well stated confidences match what happens, measured on held-out examples: a reliability
/// table over stated confidence and its expected calibration error (ECE), the count-weighted mean
/// gap between a bin's stated confidence and its accuracy.
public struct CalibrationReport: Sendable, Equatable, Codable {
    /// One row of the table: the answers whose stated confidence fell in [lower, upper).
    public struct Bin: Sendable, Equatable, Codable {
        /// Lowest stated confidence of the bin.
        public var lower: Float
        /// End of the bin's range, not included (but 1 is, in the last bin).
        public var upper: Float
        /// Answers in the bin.
        public var count: Int
        /// Of those, right ones.
        public var correct: Int
        /// Mean stated confidence of the bin's answers (0 when empty).
        public var meanConfidence: Float
        /// Observed accuracy, correct ÷ count (nil for an empty bin).
        public var accuracy: Float? { count > 0 ? Float(correct) / Float(count) : nil }
    }

    /// The table, lowest confidences first.
    public var bins: [Bin]
    /// Answers measured.
    public var count: Int
    /// Right answers among them.
    public var correct: Int
    /// Σ count ÷ total × |accuracy − mean confidence| over the bins.
    public var expectedCalibrationError: Float
    /// Right answers ÷ answers (0 when none).
    public var accuracy: Float { count > 0 ? Float(correct) / Float(count) : 0 }

    /// The report of (stated confidence, was the answer right) pairs in `binCount` equal bins
    /// (clamped to `ConfidenceCalibration.binCountRange`).
    public init(answers: [(confidence: Float, correct: Bool)], binCount: Int = 10) {
        let count = min(max(binCount, ConfidenceCalibration.binCountRange.lowerBound), ConfidenceCalibration.binCountRange.upperBound)
        var bins = (0..<count).map { Bin(lower: Float($0) / Float(count), upper: Float($0 + 1) / Float(count), count: 0, correct: 0, meanConfidence: 0) }
        var sums = [Double](repeating: 0, count: count)
        for answer in answers {
            let confidence = answer.confidence.isFinite ? min(max(answer.confidence, 0), 1) : 0
            let index = min(Int(confidence * Float(count)), count - 1)
            bins[index].count += 1
            if answer.correct { bins[index].correct += 1 }
            sums[index] += Double(confidence)
        }
        var gap = 0.0
        for index in bins.indices where bins[index].count > 0 {
            bins[index].meanConfidence = Float(sums[index] / Double(bins[index].count))
            gap += Double(bins[index].count) * abs(Double(bins[index].correct) / Double(bins[index].count) - Double(bins[index].meanConfidence))
        }
        self.bins = bins
        self.count = answers.count
        correct = answers.filter(\.correct).count
        expectedCalibrationError = answers.isEmpty ? 0 : Float(gap / Double(answers.count))
    }
}
