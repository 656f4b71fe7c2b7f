import FeatureMemory
import Foundation
import Hummingbird
import LearningPipeline

extension API {
    /// `POST .../learn?label=L` and `POST .../recognize`: a WAV body through the same pipeline as
    /// `fmdb learn` and `fmdb recognize` (MFCC features, the collection's normalization statistics).
    func registerAudio(on router: Router<BasicRequestContext>) {
        router.post("/v1/collections/:name/learn") { request, context in
            let name = try API.name(context)
            guard let label = request.uri.queryParameters.get("label"),
                  !label.isEmpty, label.utf8.count <= StoreOptions.maximumLabelBytes else {
                throw APIError.invalidField("label: give ?label= with 1…\(StoreOptions.maximumLabelBytes) UTF-8 bytes")
            }
            let started = ContinuousClock.now
            let raw = try await API.clipFeatures(request, limit: maximumBodyBytes)
            return try await registry.using(name) { collection in
                let pipeline = try API.pipeline(for: collection)
                let summary = try await collection.writer.exclusive {
                    try pipeline.learn([raw], labels: [label], in: collection.store, mergeRadius: 0)
                }
                collection.metrics?.learned.increment()
                collection.metrics?.learnDuration.record(ContinuousClock.now - started)
                return try API.json(LearnOutput(label: label, learned: summary.examples, created: summary.created, merged: summary.merged))
            }
        }
        router.post("/v1/collections/:name/recognize") { request, context in
            let name = try API.name(context)
            let started = ContinuousClock.now
            let raw = try await API.clipFeatures(request, limit: maximumBodyBytes)
            return try await registry.using(name) { collection in
                let answer = try API.pipeline(for: collection).recognize(raw, in: collection.store)
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

    /// The raw MFCC features of the WAV body.
    static func clipFeatures(_ request: Request, limit: Int) async throws -> [Float] {
        try JSONBody.requireContentType(request, accepted: audioTypes)
        let buffer = try await JSONBody.collect(request, limit: min(limit, Limits.audioBytes))
        guard buffer.readableBytes > 0 else { throw APIError.invalidField("body: an empty clip") }
        return try FeaturePipeline(.mfcc).features(ofBytes: Data(buffer: buffer))
    }

    /// The MFCC pipeline, when the collection holds vectors of its kind.
    static func pipeline(for collection: Collection) throws -> FeaturePipeline {
        let pipeline = try FeaturePipeline(.mfcc)
        guard collection.store.dimension == pipeline.dimension, collection.store.metric == pipeline.metric else {
            throw APIError.conflict(
                "\(collection.name) holds \(collection.store.dimension)-value \(collection.store.metric.rawValue) vectors; "
                    + "learned clips are \(pipeline.dimension)-value \(pipeline.metric.rawValue) (create it with those)")
        }
        return pipeline
    }
}
