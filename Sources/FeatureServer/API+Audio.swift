import FeatureExtraction
import FeatureMemory
import Foundation
import Hummingbird
import LearningPipeline

extension API {
    /// `POST .../learn?label=L` and `POST .../recognize`: a WAV body through the same pipeline as
    /// `fmdb learn` and `fmdb recognize` (the extractor whose vectors the collection holds: `speech`
    /// for 195 cosine values, with alignment of frames, or `mfcc` for 78; the collection's
    /// normalization statistics).
    func registerAudio(on router: Router<BasicRequestContext>) {
        router.post("/v1/collections/:name/learn") { request, context in
            let name = try API.name(context)
            guard let label = request.uri.queryParameters.get("label"),
                  !label.isEmpty, label.utf8.count <= StoreOptions.maximumLabelBytes else {
                throw APIError.invalidField("label: give ?label= with 1…\(StoreOptions.maximumLabelBytes) UTF-8 bytes")
            }
            let started = ContinuousClock.now
            let clip = try await API.clip(request, limit: maximumBodyBytes)
            return try await registry.using(name) { collection in
                let pipeline = try API.pipeline(for: collection)
                let observation = try pipeline.observation(of: clip)
                let summary = try await collection.writer.exclusive {
                    try pipeline.learn([observation], labels: [label], in: collection.store, mergeRadius: 0)
                }
                collection.metrics?.learned.increment()
                collection.metrics?.learnDuration.record(ContinuousClock.now - started)
                return try API.json(LearnOutput(label: label, learned: summary.examples, created: summary.created, merged: summary.merged))
            }
        }
        router.post("/v1/collections/:name/recognize") { request, context in
            let name = try API.name(context)
            let started = ContinuousClock.now
            let clip = try await API.clip(request, limit: maximumBodyBytes)
            return try await registry.using(name) { collection in
                let pipeline = try API.pipeline(for: collection)
                let answer = try pipeline.recognize(try pipeline.observation(of: clip), in: collection.store)
                if let metrics = collection.metrics {
                    metrics.recognized.increment()
                    metrics.recognizeDuration.record(ContinuousClock.now - started)
                    metrics.confidence.record(Double(answer.confidence))
                }
                return try API.json(RecognizeOutput(label: answer.label, confidence: answer.confidence))
            }
        }
    }

    /// Media types a clip may be sent as.
    static let audioTypes = ["audio/wav", "audio/x-wav", "audio/wave", "application/octet-stream"]

    /// The WAV body, decoded (before the collection is looked up, so a bad clip is a 400 whatever
    /// the collection).
    static func clip(_ request: Request, limit: Int) async throws -> AudioClip {
        try JSONBody.requireContentType(request, accepted: audioTypes)
        let buffer = try await JSONBody.collect(request, limit: min(limit, Limits.audioBytes))
        guard buffer.readableBytes > 0 else { throw APIError.invalidField("body: an empty clip") }
        return try AudioClip(wavData: Data(buffer: buffer))
    }

    /// The audio extractors a collection may hold the vectors of, in the order they are tried.
    static let audioExtractors: [ExtractorChoice] = [.speech, .mfcc]

    /// The pipeline of the audio extractor whose vectors the collection holds (only that one is
    /// built: an extractor's filterbank and FFT are made per request).
    static func pipeline(for collection: Collection) throws -> FeaturePipeline {
        let store = collection.store
        if let choice = audioExtractors.first(where: { $0.audioConfiguration?.dimension == store.dimension && $0.metric == store.metric }) {
            return try FeaturePipeline(choice)
        }
        let kinds = audioExtractors.map { "\($0.audioConfiguration?.dimension ?? 0)-value \($0.metric.rawValue) (\($0.rawValue))" }
            .joined(separator: " or ")
        throw APIError.conflict(
            "\(collection.name) holds \(store.dimension)-value \(store.metric.rawValue) vectors; "
                + "learned clips are \(kinds) (create it with one of those)")
    }
}
