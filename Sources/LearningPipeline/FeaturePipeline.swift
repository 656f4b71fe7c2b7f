import FeatureExtraction
import FeatureMemory
import Foundation
import PatternLearning

/// `--extractor` values.
public enum ExtractorChoice: String, Sendable, CaseIterable {
    /// For spoken words (the default for new stores): 13 MFCCs with deltas and delta-deltas,
    /// silence trimmed, pooled over four quarters of the word plus the deviation (195 values),
    /// z-scored, L2-normalized, cosine; each pattern keeps the clip's frames (mean and variance
    /// normalized per clip) and recognition re-ranks by aligning them.
    case speech
    /// 13 MFCCs with deltas and delta-deltas, mean and deviation pooled (78 values), z-scored, L2-normalized, cosine.
    case mfcc
    /// The plain baseline: 13 MFCCs pooled by mean and deviation (26 values), z-scored, Euclidean.
    case baseline
    /// wav2vec 2.0 base hidden states (T × 768, from .npy files) mean-pooled, z-scored, L2-normalized, cosine.
    case wav2vec2

    /// The MFCC parameters of an audio extractor; nil for wav2vec2, which reads model outputs.
    public var audioConfiguration: MFCCConfiguration? {
        switch self {
        case .speech: .speech
        case .mfcc: .default
        case .baseline: .baseline
        case .wav2vec2: nil
        }
    }

    /// The metric a store of these vectors uses.
    public var metric: Metric { self == .baseline ? .l2 : .cosine }
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
        if let configuration = choice.audioConfiguration {
            mfcc = try MFCCExtractor(configuration: configuration)
            adapter = nil
        } else {
            mfcc = nil
            adapter = try Wav2Vec2Adapter()
        }
    }

    /// Values per vector.
    public var dimension: Int { mfcc?.dimension ?? adapter?.dimension ?? 0 }

    /// The metric a store of these vectors uses.
    public var metric: Metric { choice.metric }

    /// The attachment holding the normalization statistics.
    public var statisticsName: String { "zscore/\(choice.rawValue)" }

    /// The raw features of one file (WAV audio, or .npy hidden states for wav2vec2).
    public func features(of path: String) throws -> [Float] {
        try observation(of: path).features
    }

    /// The raw features of one file, with its frames when this extractor keeps them (`speech`).
    public func observation(of path: String) throws -> Observation {
        let url = URL(fileURLWithPath: path)
        if let adapter { return Observation(features: try adapter.embedding(contentsOf: url), sequence: nil) }
        guard let mfcc else { return Observation(features: [], sequence: nil) }
        return try observation(of: AudioClip(contentsOf: url), with: mfcc)
    }

    /// The observation of one file and of each of its `augmentation` variants (audio extractors
    /// only: wav2vec2 hidden states cannot be augmented here, which throws `invalidConfiguration`).
    public func observations(of path: String, augmentation: Augmentation) throws -> [Observation] {
        guard augmentation.count > 0 else { return [try observation(of: path)] }
        guard mfcc != nil else { throw AudioError.invalidConfiguration("augmentation needs audio: the \(choice.rawValue) extractor reads model outputs") }
        let clip = try AudioClip(contentsOf: URL(fileURLWithPath: path))
        return try ([clip] + augmentation.variants(of: clip)).map(observation(of:))
    }

    /// The raw features of a decoded clip, with its frames when this extractor keeps them; audio
    /// extractors only (wav2vec2 reads model outputs, which throws `invalidConfiguration`).
    public func observation(of clip: AudioClip) throws -> Observation {
        guard let mfcc else { throw AudioError.invalidConfiguration("the \(choice.rawValue) extractor reads model outputs, not audio") }
        return try observation(of: clip, with: mfcc)
    }

    /// The pooled features of `clip` and, for `speech`, its frames normalized per clip.
    func observation(of clip: AudioClip, with mfcc: MFCCExtractor) throws -> Observation {
        guard choice == .speech else { return Observation(features: try mfcc.features(from: clip), sequence: nil) }
        let frames = try mfcc.frameFeatures(from: clip.samples, sampleRate: clip.sampleRate)
        let features = try mfcc.configuration.pooling.pool(frames)
        let normalized = UtteranceNormalization.meanAndVariance.apply(to: frames)
        // a clip too long to align (over FrameSequence.maximumFrames) is matched by its vector alone
        let sequence = try? FrameSequence(frames: normalized.values, dimension: normalized.dimension)
        return Observation(features: features, sequence: sequence)
    }

    /// The extractor a store was taught with, from the normalization statistics it keeps; nil
    /// for a store that learned nothing yet.
    public static func taught(in store: FeatureStore) throws -> ExtractorChoice? {
        for choice in ExtractorChoice.allCases where try store.attachment(named: "zscore/\(choice.rawValue)") != nil {
            return choice
        }
        return nil
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

/// What the pipeline takes from one clip: its raw (not yet normalized) pooled features, and its
/// frames when the extractor keeps them.
public struct Observation: Sendable {
    /// The pooled features, before the store's normalization.
    public var features: [Float]
    /// The clip's frames for alignment, or nil.
    public var sequence: FrameSequence?
}
