import FeatureExtraction
import FeatureMemory
import Foundation

/// `--extractor` values.
public enum ExtractorChoice: String, Sendable, CaseIterable {
    /// 13 MFCCs with deltas and delta-deltas, mean and deviation pooled (78 values), z-scored, L2-normalized, cosine.
    case mfcc
    /// The plain baseline: 13 MFCCs pooled by mean and deviation (26 values), z-scored, Euclidean.
    case baseline
    /// wav2vec 2.0 base hidden states (T × 768, from .npy files) mean-pooled, z-scored, L2-normalized, cosine.
    case wav2vec2
}

/// From a file to the vector a store keeps: extraction, then normalization with the running
/// statistics kept in the store (attachment "zscore/NAME").
public struct FeaturePipeline: Sendable {
    /// The extractor this pipeline runs.
    public let choice: ExtractorChoice
    let mfcc: MFCCExtractor?
    let adapter: Wav2Vec2Adapter?

    public init(_ choice: ExtractorChoice) throws {
        self.choice = choice
        switch choice {
        case .mfcc:
            mfcc = try MFCCExtractor(configuration: .default)
            adapter = nil
        case .baseline:
            mfcc = try MFCCExtractor(configuration: .baseline)
            adapter = nil
        case .wav2vec2:
            mfcc = nil
            adapter = try Wav2Vec2Adapter()
        }
    }

    /// Values per vector.
    public var dimension: Int { mfcc?.dimension ?? adapter?.dimension ?? 0 }

    /// The metric a store of these vectors uses.
    public var metric: Metric { choice == .baseline ? .l2 : .cosine }

    /// The attachment holding the normalization statistics.
    public var statisticsName: String { "zscore/\(choice.rawValue)" }

    /// The raw features of one file (WAV audio, or .npy hidden states for wav2vec2).
    public func features(of path: String) throws -> [Float] {
        let url = URL(fileURLWithPath: path)
        if let adapter { return try adapter.embedding(contentsOf: url) }
        guard let mfcc else { return [] }
        return try mfcc.features(contentsOf: url)
    }

    /// The store's normalization statistics, or fresh ones.
    public func statistics(in store: FeatureStore) throws -> RunningStatistics {
        if let data = try store.attachment(named: statisticsName) {
            return try JSONDecoder().decode(RunningStatistics.self, from: data)
        }
        return try RunningStatistics(dimension: dimension)
    }

    /// Saves `statistics` in the store.
    public func save(_ statistics: RunningStatistics, in store: FeatureStore) throws {
        try store.setAttachment(try JSONEncoder().encode(statistics), named: statisticsName)
    }

    /// `features` as stored and searched: z-scored, and L2-normalized for cosine.
    public func normalized(_ features: [Float], with statistics: RunningStatistics) throws -> [Float] {
        let scored = statistics.count >= 2 ? try statistics.zScored(features) : features
        return metric == .cosine ? Normalization.l2Normalized(scored) : scored
    }
}
