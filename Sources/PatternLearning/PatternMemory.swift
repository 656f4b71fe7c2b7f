import FeatureMemory
import Foundation
import Synchronization

/// Labelled patterns learned from feature vectors, and recognition of new vectors against them:
/// the layer over a `FeatureStore` that applications talk to. Each pattern is a stored vector
/// whose label is its class and whose support counts the examples merged into it.
public final class PatternMemory: Sendable {
    /// The store the patterns live in.
    public let store: FeatureStore
    /// How this memory learns and recognizes.
    public let options: PatternOptions

    /// A memory over `store` (which fixes the dimension and metric).
    public init(store: FeatureStore, options: PatternOptions = PatternOptions()) throws {
        guard options.neighbours >= 1 else { throw StoreError.invalidArgument("neighbours must be at least 1, got \(options.neighbours)") }
        guard options.mergeRadius >= 0, options.mergeRadius.isFinite else {
            throw StoreError.invalidArgument("merge radius must be a finite distance ≥ 0, got \(options.mergeRadius)")
        }
        guard options.alignedCandidates >= 1, options.alignedCandidates <= 1_000, options.band >= 1,
              options.vectorWeight >= 0, options.vectorWeight.isFinite else {
            throw StoreError.invalidArgument("aligned candidates must be 1…1,000, band ≥ 1 and vector weight a finite number ≥ 0")
        }
        if let minimum = options.minimumConfidence, !(0...1).contains(minimum) {
            throw StoreError.invalidArgument("minimum confidence must be 0…1, got \(minimum)")
        }
        self.store = store
        self.options = options
    }

    // MARK: learning

    /// Learns one example: merged into the nearest pattern of its label within the merge radius
    /// (running centroid, support + 1; the pattern keeps the frames it has), or stored as a new
    /// pattern with the example's frames as its user data. Durable when it returns.
    @discardableResult
    public func learn(_ example: LabelledExample) throws -> LearnOutcome {
        try store.write { try learn(example, in: $0) }
    }

    /// Learns many examples in one transaction: all or none are kept.
    @discardableResult
    public func learn(_ examples: [LabelledExample]) throws -> [LearnOutcome] {
        try store.write { writer in
            try examples.enumerated().map { index, example in
                do {
                    return try learn(example, in: writer)
                } catch let error as StoreError {
                    throw StoreError.batchItem(index: index, error)
                }
            }
        }
    }

    private func learn(_ example: LabelledExample, in writer: WriteTransaction) throws -> LearnOutcome {
        let (features, label) = (example.features, example.label)
        // the put's own checks, before the label lookup below sees an empty or oversized label
        try store.putRules.check(features, label: label)
        if options.mergeRadius > 0,
           let nearest = try writer.nearest(to: features, count: 1, ef: options.ef, filter: .label(label)).first,
           nearest.distance <= options.mergeRadius {
            let current = try writer.vector(for: nearest.id)
            let metadata = try writer.metadata(for: nearest.id)
            let count = Float(metadata.support)
            let merged = zip(current, features).map { ($0 * count + $1) / (count + 1) }
            try writer.update(nearest.id, vector: merged)
            let support = metadata.support == UInt32.max ? metadata.support : metadata.support + 1
            try writer.setSupport(support, confidence: metadata.confidence, for: nearest.id)
            return .merged(id: nearest.id, support: support)
        }
        let id = try freshID(in: writer)
        try writer.put(features, for: id, label: label, userData: example.sequence?.encoded())
        return .created(id: id)
    }

    /// An id no pattern has: random below 2⁵³, so it survives JSON as a number.
    private func freshID(in writer: WriteTransaction) throws -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        while true {
            let id = UInt64.random(in: 1..<(1 << 53), using: &generator)
            if try !writer.contains(id) { return id }
        }
    }

    // MARK: recognition

    /// The calibration as this memory last read or wrote it (read once, not per recognition).
    private let loadedCalibration = Mutex<ConfidenceCalibration??>(nil)

    private func currentCalibration() throws -> ConfidenceCalibration? {
        if let known = loadedCalibration.withLock({ $0 }) { return known }
        let read = try calibration()
        loadedCalibration.withLock { $0 = .some(read) }
        return read
    }

    /// The label of the patterns nearest to `features`, with a confidence and the patterns
    /// consulted; with the clip's `sequence`, the nearest `alignedCandidates` patterns that keep
    /// frames are re-ranked by alignment (`DynamicTimeWarping`) beside the vector distance.
    public func recognize(_ features: [Float], sequence: FrameSequence? = nil) throws -> Recognition {
        try recognize(features, sequence: sequence, calibratedBy: try currentCalibration())
    }

    /// `recognize`, stating confidences from `calibration` (the raw score when nil).
    private func recognize(_ features: [Float], sequence: FrameSequence?, calibratedBy calibration: ConfidenceCalibration?) throws -> Recognition {
        try store.read { reader in
            let wanted = sequence == nil ? options.neighbours : max(options.neighbours, options.alignedCandidates)
            let found = try reader.nearest(to: features, count: wanted, ef: options.ef.map { max($0, wanted) })
            var neighbours: [PatternNeighbour] = []
            var frames: [FrameSequence?] = []
            for result in found {
                let metadata = try reader.metadata(for: result.id)
                neighbours.append(PatternNeighbour(id: result.id, label: metadata.label, distance: result.distance, support: metadata.support))
                frames.append(sequence == nil ? nil : metadata.userData.flatMap(FrameSequence.init(decoding:)))
            }
            guard let nearest = neighbours.first else {
                return Recognition(label: nil, confidence: 0, score: 0, neighbours: [])
            }
            if let limit = options.rejectionDistance, nearest.distance > limit {
                return Recognition(label: nil, confidence: 0, score: 0, neighbours: neighbours)
            }
            // a pattern's cost: its distance relative to the nearest one's, plus (when both sides
            // have frames) its alignment relative to the best alignment found
            var costs = neighbours.map(\.distance)
            if let sequence, frames.contains(where: { $0 != nil }) {
                // the query's frames decoded once for every candidate
                let queryFrames = sequence.values
                for index in neighbours.indices {
                    neighbours[index].alignment = frames[index].map { candidate in
                        candidate.dimension == sequence.dimension
                            ? DynamicTimeWarping.distance(queryFrames, frames: sequence.frameCount, candidate.values, frames: candidate.frameCount,
                                                          dimension: sequence.dimension, band: options.band)
                            : .infinity
                    }
                }
                let aligned = neighbours.compactMap(\.alignment).filter(\.isFinite)
                let bestAlignment = max(aligned.min() ?? 1, 1e-6), worstAlignment = aligned.max() ?? bestAlignment
                let nearestDistance = max(nearest.distance, 1e-6)
                for index in neighbours.indices {
                    let relative = neighbours[index].distance / nearestDistance
                    // a pattern without frames cannot be aligned: it ranks as if its alignment were the worst seen
                    let alignment = neighbours[index].alignment.flatMap { $0.isFinite ? $0 : nil } ?? worstAlignment
                    costs[index] = alignment / bestAlignment + options.vectorWeight * relative
                }
                let order = neighbours.indices.sorted { costs[$0] < costs[$1] }
                neighbours = order.map { neighbours[$0] }
                costs = order.map { costs[$0] }
            }
            neighbours = Array(neighbours.prefix(max(options.neighbours, 1)))
            let best = neighbours[0]
            // the ratio test: how much cheaper the best label is than the nearest other one
            let score: Float
            if let rival = neighbours.indices.first(where: { neighbours[$0].label != best.label }) {
                score = costs[rival] > 0 ? min(max(1 - costs[0] / costs[rival], 0), 1) : 0
            } else {
                score = 1
            }
            let confidence = calibration?.confidence(forScore: score) ?? score
            if let minimum = options.minimumConfidence, confidence < minimum {
                return Recognition(label: nil, confidence: confidence, score: score, neighbours: neighbours)
            }
            return Recognition(label: best.label, confidence: confidence, score: score, neighbours: neighbours)
        }
    }

    // MARK: calibration

    /// The store attachment the calibration is kept in (JSON): an attachment, as this layer sees
    /// the store only through its public API.
    static let calibrationAttachment = "patterns/calibration"

    /// Measures how often recognition is right at each score on held-out labelled examples, keeps
    /// that table in the store and states confidences from it from now on. Returns the table.
    @discardableResult
    public func calibrate(heldOut examples: [LabelledExample], bins: Int = 10) throws -> ConfidenceCalibration {
        // the table is allocated by the bin count and kept in the store: bound it
        guard ConfidenceCalibration.binCountRange.contains(bins) else {
            throw StoreError.invalidArgument("bins must be \(ConfidenceCalibration.binCountRange.lowerBound)…\(ConfidenceCalibration.binCountRange.upperBound), got \(bins)")
        }
        var observations: [(score: Float, correct: Bool)] = []
        for example in examples {
            let answer = try recognize(example.features, sequence: example.sequence, calibratedBy: nil)
            observations.append((answer.score, answer.label == example.label))
        }
        let calibration = ConfidenceCalibration(observations: observations, binCount: bins)
        let json = try JSONEncoder().encode(calibration)
        try store.setAttachment(json, named: Self.calibrationAttachment)
        loadedCalibration.withLock { $0 = .some(calibration) }
        return calibration
    }

    /// How well this memory's stated confidences (from its saved calibration, else raw scores)
    /// hold on held-out `examples`, changing nothing: accuracy, reliability table and expected
    /// calibration error, in `bins` equal bins of confidence. An unknown answer counts as wrong.
    public func report(heldOut examples: [LabelledExample], bins: Int = 10) throws -> CalibrationReport {
        guard ConfidenceCalibration.binCountRange.contains(bins) else {
            throw StoreError.invalidArgument("bins must be \(ConfidenceCalibration.binCountRange.lowerBound)…\(ConfidenceCalibration.binCountRange.upperBound), got \(bins)")
        }
        let calibration = try currentCalibration()
        let answers = try examples.map { example in
            let answer = try recognize(example.features, sequence: example.sequence, calibratedBy: calibration)
            return (confidence: answer.confidence, correct: answer.label == example.label)
        }
        return CalibrationReport(answers: answers, binCount: bins)
    }

    /// The calibration saved by `calibrate`, if any.
    public func calibration() throws -> ConfidenceCalibration? {
        guard let json = try store.attachment(named: Self.calibrationAttachment) else { return nil }
        return try? JSONDecoder().decode(ConfidenceCalibration.self, from: json)
    }

    // MARK: inventory and forgetting

    /// Every label with its number of patterns, examples and bytes of frames, by label.
    public func patterns() throws -> [PatternSummary] {
        var byLabel: [String: PatternSummary] = [:]
        try store.read { reader in
            try reader.forEach { stored in
                let label = stored.metadata.label ?? ""
                var summary = byLabel[label] ?? PatternSummary(label: label, patterns: 0, examples: 0)
                summary.patterns += 1
                summary.examples += Int(stored.metadata.support)
                summary.frameBytes += stored.metadata.userData?.count ?? 0
                byLabel[label] = summary
                return true
            }
        }
        return byLabel.values.sorted { $0.label < $1.label }
    }

    /// Ages what was learned: every pattern's support is multiplied by `factor` (0…1), and patterns
    /// left with less than `minimumSupport` are forgotten. Returns how many were forgotten.
    @discardableResult
    public func decay(by factor: Float, forgettingBelow minimumSupport: UInt32 = 1) throws -> Int {
        guard factor >= 0, factor <= 1 else { throw StoreError.invalidArgument("decay factor must be 0…1, got \(factor)") }
        return try store.write { writer in
            var changes: [(id: UInt64, support: UInt32, confidence: Float)] = []
            try writer.forEach { stored in
                let support = UInt32((Float(stored.metadata.support) * factor).rounded())
                changes.append((stored.id, support, stored.metadata.confidence))
                return true
            }
            var forgotten = 0
            for change in changes {
                if change.support < minimumSupport {
                    try writer.delete(change.id)
                    forgotten += 1
                } else {
                    try writer.setSupport(change.support, confidence: change.confidence, for: change.id)
                }
            }
            return forgotten
        }
    }

    /// Forgets every pattern of `label`; returns how many.
    @discardableResult
    public func forget(label: String) throws -> Int {
        try store.write { writer in
            let ids = try writer.ids(withLabel: label)
            for id in ids { try writer.delete(id) }
            return ids.count
        }
    }
}
