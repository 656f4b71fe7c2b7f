import FeatureExtraction
import FeatureMemory
import Foundation
import PatternLearning

/// What one learning call did.
public struct LearningSummary: Sendable, Equatable {
    /// The labels taught, sorted.
    public var labels: [String]
    /// Examples learned.
    public var examples: Int
    /// Examples kept as new patterns.
    public var created: Int
    /// Examples merged into an existing pattern.
    public var merged: Int { examples - created }
}

extension FeaturePipeline {
    /// The raw features of a clip held in memory: WAV bytes, or .npy hidden states for wav2vec2.
    public func features(ofBytes data: Data) throws -> [Float] {
        if let adapter { return try adapter.embedding(fromNPY: data) }
        guard let mfcc else { return [] }
        return try mfcc.features(from: AudioClip(wavData: data))
    }

    /// Learns raw feature vectors under their labels: the store's normalization statistics take
    /// them in, then they are learned in one transaction (`fmdb learn` and the server's learn).
    public func learn(
        _ raw: [[Float]], labels: [String], in store: FeatureStore, mergeRadius: Float
    ) throws -> LearningSummary {
        var statistics = try statistics(in: store)
        for features in raw { try statistics.add(features) }
        let examples = try zip(raw, labels).map {
            LabelledExample(features: try normalized($0, with: statistics), label: $1)
        }
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: mergeRadius))
        let outcomes = try memory.learn(examples)
        try save(statistics, in: store)
        let created = outcomes.filter { if case .created = $0 { true } else { false } }.count
        return LearningSummary(labels: Set(labels).sorted(), examples: outcomes.count, created: created)
    }

    /// Recognizes raw features against the store's patterns, normalized as they were learned.
    public func recognize(_ raw: [Float], in store: FeatureStore, neighbours: Int = 10) throws -> Recognition {
        let features = try normalized(raw, with: statistics(in: store))
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0, neighbours: neighbours))
        return try memory.recognize(features)
    }
}
