import FeatureMemory
import Foundation
@testable import PatternLearning
import Testing

/// Learning merges near examples and keeps far ones apart; recognition finds the right label with
/// a confidence that means something.
struct PatternMemoryTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 16

    func memory(_ options: PatternOptions = PatternOptions(mergeRadius: 0)) throws -> PatternMemory {
        try PatternMemory(store: temporary.store(dimension: Self.dimension, metric: .l2), options: options)
    }

    /// An example of `label` whose every feature is `value`.
    static func constant(_ value: Float, label: String) -> LabelledExample {
        LabelledExample(features: [Float](repeating: value, count: dimension), label: label)
    }

    /// Five labelled clusters: centres far apart, examples within `spread` of them.
    func clusters(seed: UInt64, perLabel: Int, spread: Float) -> [LabelledExample] {
        var centres = SeededGenerator(seed: 99)
        let centreVectors = (0..<5).map { _ in centres.gaussianVector(Self.dimension).map { $0 * 4 } }
        var random = SeededGenerator(seed: seed)
        var examples: [LabelledExample] = []
        for index in 0..<perLabel {
            for (label, centre) in centreVectors.enumerated() {
                _ = index
                examples.append(LabelledExample(
                    features: zip(centre, random.gaussianVector(Self.dimension)).map { $0 + $1 * spread }, label: "word-\(label)"))
            }
        }
        return examples
    }

    @Test func aNearExampleMergesIntoItsPatternAndAFarOneStartsAnother() throws {
        let memory = try memory(PatternOptions(mergeRadius: 1))
        let first = try memory.learn(Self.constant(0, label: "a"))
        guard case let .created(id) = first else { Issue.record("expected a new pattern, got \(first)"); return }
        let second = try memory.learn(Self.constant(0.2, label: "a"))
        #expect(second == .merged(id: id, support: 2))
        // the running centroid of the two examples
        #expect(try memory.store.get(id).vector == [Float](repeating: 0.1, count: Self.dimension))
        // same place, other label: never merged across labels
        #expect(try memory.learn(Self.constant(0.1, label: "b")).id != id)
        // far away: a new pattern of the same label
        #expect(try memory.learn(Self.constant(5, label: "a")).id != id)
        #expect(try memory.patterns() == [PatternSummary(label: "a", patterns: 2, examples: 3), PatternSummary(label: "b", patterns: 1, examples: 1)])
    }

    @Test func recognitionFindsTheLabelAndIsSureOfCleanQueriesOnly() throws {
        let memory = try memory()
        try memory.learn(clusters(seed: 1, perLabel: 20, spread: 0.5))
        var correct = 0
        var confidences: (right: [Float], wrong: [Float]) = ([], [])
        for example in clusters(seed: 2, perLabel: 10, spread: 0.5) {
            let answer = try memory.recognize(example.features)
            if answer.label == example.label {
                correct += 1
                confidences.right.append(answer.confidence)
            } else {
                confidences.wrong.append(answer.confidence)
            }
            #expect(answer.neighbours.count == 10)
            #expect(answer.neighbours.map(\.distance) == answer.neighbours.map(\.distance).sorted())
        }
        #expect(correct >= 48)
        // a query halfway between two clusters is recognized with low confidence
        var centres = SeededGenerator(seed: 99)
        let a = centres.gaussianVector(Self.dimension).map { $0 * 4 }, b = centres.gaussianVector(Self.dimension).map { $0 * 4 }
        let ambiguous = try memory.recognize(zip(a, b).map { ($0 + $1) / 2 })
        let clean = try memory.recognize(a)
        #expect(clean.label == "word-0")
        #expect(ambiguous.confidence < clean.confidence)
        #expect(ambiguous.confidence < 0.5)
    }

    @Test func anEmptyMemoryOrAFarQueryIsNotRecognized() throws {
        let memory = try memory(PatternOptions(mergeRadius: 0, rejectionDistance: 10))
        #expect(try memory.recognize([Float](repeating: 1, count: Self.dimension)).label == nil)
        try memory.learn(Self.constant(0, label: "a"))
        #expect(try memory.recognize([Float](repeating: 0.1, count: Self.dimension)).label == "a")
        let far = try memory.recognize([Float](repeating: 100, count: Self.dimension))
        #expect(far.label == nil)
        #expect(far.confidence == 0)
    }

    @Test func aBatchWithABadExampleKeepsNothing() throws {
        let memory = try memory()
        var batch = clusters(seed: 3, perLabel: 2, spread: 0.1)
        batch.append(LabelledExample(features: [Float](repeating: .nan, count: Self.dimension), label: "bad"))
        #expect(throws: StoreError.batchItem(index: 10, .nonFinite(index: 0))) { try memory.learn(batch) }
        #expect(try memory.patterns().isEmpty)
        #expect(throws: StoreError.dimensionMismatch(expected: Self.dimension, actual: 3)) { try memory.learn(LabelledExample(features: [1, 2, 3], label: "x")) }
    }

    /// The store's own put rules check an example before its label is looked up for a merge.
    @Test func aLabelThePutRefusesIsRefusedBeforeAnyLookup() throws {
        let memory = try memory(PatternOptions(mergeRadius: 1))
        #expect(throws: StoreError.invalidLabel("empty (pass nil for no label)")) { try memory.learn(Self.constant(0, label: "")) }
        let long = String(repeating: "x", count: StoreOptions.maximumLabelBytes + 1)
        #expect(throws: StoreError.invalidLabel("\(StoreOptions.maximumLabelBytes + 1) bytes; at most \(StoreOptions.maximumLabelBytes)")) {
            try memory.learn(Self.constant(0, label: long))
        }
        #expect(try memory.patterns().isEmpty)
    }

    @Test func calibrationStatesTheAccuracyObservedAtEachScore() throws {
        let memory = try memory()
        try memory.learn(clusters(seed: 4, perLabel: 10, spread: 2.5))
        let table = try memory.calibrate(heldOut: clusters(seed: 5, perLabel: 30, spread: 2.5))
        #expect(table.bins.reduce(0) { $0 + $1.count } == 150)
        // stated confidence never falls as the score rises
        #expect(zip(table.bins, table.bins.dropFirst()).allSatisfy { $0.confidence <= $1.confidence })
        // overall, stated confidence is close to observed accuracy (smoothing pulls it toward ½ a little)
        let stated = table.bins.reduce(Float(0)) { $0 + $1.confidence * Float($1.count) } / 150
        let observed = Float(table.bins.reduce(0) { $0 + $1.correct }) / 150
        #expect(abs(stated - observed) < 0.05)
        #expect(table.bins.allSatisfy { $0.confidence < 1 })
        #expect(try memory.calibration() == table)
        let answer = try memory.recognize(clusters(seed: 6, perLabel: 1, spread: 2.5)[0].features)
        #expect(answer.confidence == table.confidence(forScore: answer.score))
    }

    @Test func decayForgetsRarelySupportedPatterns() throws {
        let memory = try memory(PatternOptions(mergeRadius: 1))
        for _ in 0..<4 { try memory.learn(Self.constant(0, label: "often")) }
        try memory.learn(Self.constant(9, label: "once"))
        #expect(try memory.decay(by: 0.4) == 1)
        #expect(try memory.patterns() == [PatternSummary(label: "often", patterns: 1, examples: 2)])
        #expect(try memory.forget(label: "often") == 1)
        #expect(try memory.patterns().isEmpty)
        #expect(throws: StoreError.self) { try memory.decay(by: 2) }
    }

    /// The table is allocated by its bin count: a count from a command line is bounded, and a
    /// refused calibration keeps the store as it was.
    @Test(arguments: [0, -1, 1_001, 1_000_000_000, Int.max])
    func aBinCountOutsideTheRangeIsRefused(bins: Int) throws {
        let memory = try memory()
        _ = try memory.learn(clusters(seed: 3, perLabel: 4, spread: 0.5))
        let before = try memory.store.count()
        #expect(throws: StoreError.invalidArgument("bins must be 1…1000, got \(bins)")) {
            try memory.calibrate(heldOut: clusters(seed: 5, perLabel: 2, spread: 0.5), bins: bins)
        }
        #expect(try memory.store.count() == before)
    }
}
