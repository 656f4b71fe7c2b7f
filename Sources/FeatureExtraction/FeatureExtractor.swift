import Foundation

/// Turns a clip of audio into one fixed-length feature vector.
public protocol FeatureExtractor: Sendable {
    /// A stable identifier of the extractor and its parameters, for tagging stored vectors.
    var name: String { get }
    /// Length of every vector `features(from:sampleRate:)` returns, known before extraction.
    var dimension: Int { get }
    /// The rate the extractor analyses at; other rates are resampled to it.
    var sampleRate: Int { get }
    /// The feature vector of mono `samples` (full scale ±1) recorded at `sampleRate` Hz.
    func features(from samples: [Float], sampleRate: Int) throws -> [Float]
}

extension FeatureExtractor {
    /// The feature vector of a clip.
    public func features(from clip: AudioClip) throws -> [Float] {
        try features(from: clip.samples, sampleRate: clip.sampleRate)
    }

    /// The feature vector of the WAV file at `url`, mixed to mono.
    public func features(contentsOf url: URL) throws -> [Float] {
        try features(from: AudioClip(contentsOf: url))
    }
}
