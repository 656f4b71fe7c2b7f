import FeatureMemory
import Foundation
@testable import PatternLearning
import Testing

/// Frame sequences survive storage, alignment prefers the same sounds at another pace, and
/// recognition with frames re-ranks by them.
struct AlignmentTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// `count` frames of 3 values tracing `shape` (0…1 → value) at the frame's place in the word.
    static func frames(_ count: Int, _ shape: (Float) -> Float) -> [Float] {
        (0..<count).flatMap { index -> [Float] in
            let x = shape(Float(index) / Float(max(count - 1, 1)))
            return [x, -x, x * 0.5]
        }
    }

    @Test func aSequenceSurvivesEncodingAndGarbageDoesNotDecode() throws {
        let values = Self.frames(40) { sin(6 * $0) }
        let sequence = try FrameSequence(frames: values, dimension: 3)
        let data = sequence.encoded()
        #expect(data.count == sequence.encodedCount)
        let decoded = try #require(FrameSequence(decoding: data))
        #expect(decoded == sequence)
        // 8-bit steps: each value within half a step of its column's largest magnitude ÷ 127
        for (a, b) in zip(decoded.values, values) { #expect(abs(a - b) <= 1.0 / 127) }
        #expect(FrameSequence(decoding: Data("hello".utf8)) == nil)
        #expect(FrameSequence(decoding: data.dropLast()) == nil)
        var wrongScale = data
        wrongScale.replaceSubrange(9..<13, with: [0xFF, 0xFF, 0xFF, 0x7F])  // NaN
        #expect(FrameSequence(decoding: wrongScale) == nil)
        #expect(throws: StoreError.self) { try FrameSequence(frames: [], dimension: 3) }
        #expect(throws: StoreError.self) { try FrameSequence(frames: [1, 2], dimension: 3) }
        #expect(throws: StoreError.self) { try FrameSequence(frames: [1, .nan, 2], dimension: 3) }
        #expect(throws: StoreError.self) { try FrameSequence(frames: [Float](repeating: 1, count: FrameSequence.maximumFrames + 1), dimension: 1) }
    }

    @Test func alignmentPrefersTheSameSoundsAtAnotherPace() throws {
        let word = try FrameSequence(frames: Self.frames(50) { sin(6 * $0) }, dimension: 3)
        let slower = try FrameSequence(frames: Self.frames(80) { sin(6 * $0) }, dimension: 3)
        let reversed = try FrameSequence(frames: Self.frames(50) { sin(6 * (1 - $0)) }, dimension: 3)
        #expect(DynamicTimeWarping.distance(word, word) < 1e-6)
        let same = DynamicTimeWarping.distance(word, slower), other = DynamicTimeWarping.distance(word, reversed)
        #expect(same < other / 4, "\(same) vs \(other)")
        // the mean of each frame's value is the same for both: pooling alone cannot tell them apart
        #expect(DynamicTimeWarping.distance(word, slower) == DynamicTimeWarping.distance(slower, word))
        let one = try FrameSequence(frames: [1, 2, 3], dimension: 3)
        let long = try FrameSequence(frames: Self.frames(5_000) { $0 }, dimension: 3)
        #expect(DynamicTimeWarping.distance(one, long).isFinite)
        let otherWidth = try FrameSequence(frames: [1, 2], dimension: 2)
        #expect(DynamicTimeWarping.distance(one, otherWidth) == .infinity)
    }

    @Test func recognitionWithFramesReRanksByAlignment() throws {
        let store = try temporary.store(dimension: 4, metric: .l2)
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0, neighbours: 2))
        // two words with the same pooled vector: only the order of their sounds differs
        let pooled: [Float] = [1, 0, 0, 0]
        let rising = try FrameSequence(frames: Self.frames(30) { $0 }, dimension: 3)
        let falling = try FrameSequence(frames: Self.frames(30) { 1 - $0 }, dimension: 3)
        try memory.learn([
            LabelledExample(features: pooled, label: "rising", sequence: rising),
            LabelledExample(features: pooled.map { $0 * 1.001 }, label: "falling", sequence: falling),
        ])
        // the query's vector is nearer "rising"'s pattern, its frames fall
        let query = try FrameSequence(frames: Self.frames(45) { 1 - $0 }, dimension: 3)
        #expect(try memory.recognize(pooled).label == "rising")
        let aligned = try memory.recognize(pooled, sequence: query)
        #expect(aligned.label == "falling")
        #expect(aligned.neighbours.allSatisfy { $0.alignment != nil })
        #expect(aligned.score > 0.5)
        // the stored frames are the pattern's user data
        let stored = try store.read { try $0.ids(withLabel: "falling") }
        let userData = try #require(try store.read { try $0.metadata(for: stored[0]).userData })
        #expect(FrameSequence(decoding: userData) == falling)
        // an answer under the minimum confidence is unknown
        let strict = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0, neighbours: 2, minimumConfidence: 1))
        let unknown = try strict.recognize(pooled.map { $0 * 1.0005 }, sequence: try FrameSequence(frames: Self.frames(30) { 0.5 + 0 * $0 }, dimension: 3))
        #expect(unknown.label == nil)
        #expect(unknown.confidence < 1)
    }

    @Test func aPatternWithoutFramesRanksAsTheWorstAlignedOne() throws {
        let store = try temporary.store(dimension: 4, metric: .l2)
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0, neighbours: 3))
        let rising = try FrameSequence(frames: Self.frames(30) { $0 }, dimension: 3)
        let falling = try FrameSequence(frames: Self.frames(30) { 1 - $0 }, dimension: 3)
        // the nearest vector has no frames (learned without them, or user data of another kind)
        try memory.learn([
            LabelledExample(features: [1, 0, 0, 0], label: "plain"),
            LabelledExample(features: [1.1, 0, 0, 0], label: "rising", sequence: rising),
            LabelledExample(features: [1.2, 0, 0, 0], label: "falling", sequence: falling),
        ])
        let answer = try memory.recognize([1, 0, 0, 0], sequence: try FrameSequence(frames: Self.frames(40) { $0 }, dimension: 3))
        #expect(answer.label == "rising")
        #expect(answer.neighbours.map(\.label) == ["rising", "plain", "falling"] || answer.neighbours.map(\.label) == ["rising", "falling", "plain"])
        #expect(answer.neighbours.first { $0.label == "plain" }?.alignment == nil)
        // without frames in the query, the vector decides as before
        #expect(try memory.recognize([1, 0, 0, 0]).label == "plain")
    }

    @Test func theReportMeasuresCalibrationWithoutChangingTheStore() throws {
        let report = CalibrationReport(answers: [(0.95, true), (0.95, true), (0.95, false), (0.15, false), (0.15, true)], binCount: 10)
        #expect(report.count == 5)
        #expect(report.correct == 3)
        // |2/3 − 0.95| · 3/5 + |1/2 − 0.15| · 2/5
        #expect(abs(report.expectedCalibrationError - Float((0.95 - 2.0 / 3) * 3 / 5 + 0.35 * 2 / 5)) < 1e-5)
        #expect(report.bins[9].count == 3 && report.bins[1].count == 2)

        let store = try temporary.store(dimension: 4, metric: .l2)
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0))
        try memory.learn([LabelledExample(features: [1, 0, 0, 0], label: "a"), LabelledExample(features: [0, 1, 0, 0], label: "b")])
        let before = try store.read { try $0.count() }
        let measured = try memory.report(heldOut: [LabelledExample(features: [0.9, 0.1, 0, 0], label: "a"), LabelledExample(features: [0.9, 0.1, 0, 0], label: "b")])
        #expect(measured.count == 2 && measured.correct == 1)
        #expect(try memory.calibration() == nil)
        #expect(try store.read { try $0.count() } == before)
        #expect(throws: StoreError.self) { try memory.report(heldOut: [], bins: 0) }
        #expect(throws: StoreError.self) { try PatternMemory(store: store, options: PatternOptions(minimumConfidence: 2)) }
    }
}
