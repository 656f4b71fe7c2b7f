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
        try observation(ofBytes: data).features
    }

    /// The raw features of a clip held in memory, with its frames when this extractor keeps them.
    public func observation(ofBytes data: Data) throws -> Observation {
        if let adapter { return Observation(features: try adapter.embedding(fromNPY: data), sequence: nil) }
        guard let mfcc else { return Observation(features: [], sequence: nil) }
        return try observation(of: AudioClip(wavData: data), with: mfcc)
    }

    /// Learns raw feature vectors under their labels: the store's normalization statistics take
    /// them in, then they are learned in one transaction (`fmdb learn` and the server's learn).
    public func learn(
        _ raw: [[Float]], labels: [String], in store: FeatureStore, mergeRadius: Float
    ) throws -> LearningSummary {
        try learn(raw.map { Observation(features: $0, sequence: nil) }, labels: labels, in: store, mergeRadius: mergeRadius)
    }

    /// Learns observations (features, and frames kept with new patterns) under their labels: the
    /// store's normalization statistics take the features in, then all are learned in one transaction.
    public func learn(
        _ observations: [Observation], labels: [String], in store: FeatureStore, mergeRadius: Float
    ) throws -> LearningSummary {
        var statistics = try statistics(in: store)
        for observation in observations { try statistics.add(observation.features) }
        let examples = try zip(observations, labels).map {
            LabelledExample(features: try normalized($0.features, with: statistics), label: $1, sequence: $0.sequence)
        }
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: mergeRadius))
        let outcomes = try memory.learn(examples)
        try save(statistics, in: store)
        let created = outcomes.filter { if case .created = $0 { true } else { false } }.count
        return LearningSummary(labels: Set(labels).sorted(), examples: outcomes.count, created: created)
    }

    /// Recognizes raw features against the store's patterns, normalized as they were learned.
    public func recognize(_ raw: [Float], in store: FeatureStore, neighbours: Int = 10) throws -> Recognition {
        try recognize(Observation(features: raw, sequence: nil), in: store, neighbours: neighbours)
    }

    /// Recognizes an observation: its features normalized as they were learned, re-ranked by its frames.
    public func recognize(_ observation: Observation, in store: FeatureStore, neighbours: Int = 10) throws -> Recognition {
        let features = try normalized(observation.features, with: statistics(in: store))
        let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0, neighbours: neighbours))
        return try memory.recognize(features, sequence: observation.sequence)
    }
}
