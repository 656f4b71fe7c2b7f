import ArgumentParser
import CommandSupport
import Dispatch
import FeatureExtraction
import FeatureMemory
import Foundation
import LearningPipeline
import PatternLearning

extension FMDB {
    /// `fmdb recognize STORE FILES... [--json]`
    struct Recognize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recognize",
            abstract: "Recognize audio clips (or model hidden states) against the learned patterns.",
            discussion: """
                One line per file: the label and its confidence; with --json {"file": "...", "label": "...", \
                "confidence": 0.93} ("label": null when nothing is recognized, plus "error" for a file that \
                cannot be read). Extraction and recognition latencies go to stderr. Exits 1 when any file failed.
                """)

        @OptionGroup var location: StoreArguments

        @Argument(help: "WAV files (or .npy hidden states with --extractor wav2vec2).")
        var files: [String]

        @Option(help: "Feature extractor: speech, mfcc, baseline or wav2vec2 (default: what the store was taught with).")
        var extractor: ExtractorChoice?

        @Option(help: "Patterns consulted per file.")
        var neighbours: Int = 10

        @Option(help: "Answer unknown (label null) when the confidence is below this (0…1).")
        var minConfidence: Float?

        @Flag(help: "One JSON object per file per line.")
        var json = false

        @Flag(help: "Search for every file even when the same features were recognized before (for measuring).")
        var noResultCache = false

        func validate() throws {
            try OptionRange.check(neighbours, in: OptionRange.neighbours, flag: "--neighbours")
            if let minConfidence, !(0...1).contains(minConfidence) {
                throw ValidationError("--min-confidence must be 0…1, got \(minConfidence)")
            }
        }

        func run() throws {
            let pipeline = try FeaturePipeline(try location.extractor(extractor))
            var options = location.options(create: false)
            if noResultCache { options.resultCacheEntries = 0 }
            let store = try FeatureStore(at: location.url, options: options)
            try pipeline.checkFits(store)
            let statistics = try pipeline.statistics(in: store)
            let memory = try PatternMemory(store: store, options: PatternOptions(mergeRadius: 0, neighbours: neighbours, minimumConfidence: minConfidence))
            var extraction: [Double] = [], recognition: [Double] = []
            var failures = 0
            for file in files {
                let started = DispatchTime.now().uptimeNanoseconds
                let features: [Float], sequence: FrameSequence?
                do {
                    let observation = try pipeline.observation(of: file)
                    features = try pipeline.normalized(observation.features, with: statistics)
                    sequence = observation.sequence
                } catch {
                    failures += 1
                    Output.note("\(file): \(error)")
                    if json { try Output.printJSON(RecognizeLine(file: file, label: nil, confidence: 0, error: "\(error)")) }
                    continue
                }
                let extracted = DispatchTime.now().uptimeNanoseconds
                let answer = try memory.recognize(features, sequence: sequence)
                let recognized = DispatchTime.now().uptimeNanoseconds
                extraction.append(Double(extracted - started) / 1e6)
                recognition.append(Double(recognized - extracted) / 1e6)
                if json {
                    try Output.printJSON(RecognizeLine(
                        file: file, label: answer.label, confidence: answer.confidence, score: answer.score,
                        distance: answer.neighbours.first?.distance))
                } else {
                    print("\(file)\t\(answer.label ?? "-")\t\(String(format: "%.3f", answer.confidence))")
                }
            }
            if !recognition.isEmpty {
                Output.note(String(format: "%d files: extraction p50 %.3f ms p95 %.3f ms; recognition p50 %.3f ms p95 %.3f ms",
                                   recognition.count, extraction.percentile(0.5), extraction.percentile(0.95),
                                   recognition.percentile(0.5), recognition.percentile(0.95)))
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }
}

/// One line of `recognize --json`.
struct RecognizeLine: Encodable {
    var file: String
    var label: String?
    var confidence: Float
    var score: Float?
    var distance: Float?
    var error: String?

    // "label": null is printed, not left out, so a reader can tell "not recognized" from a bug
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(label, forKey: .label)
        try container.encode(confidence, forKey: .confidence)
        try container.encodeIfPresent(score, forKey: .score)
        try container.encodeIfPresent(distance, forKey: .distance)
        try container.encodeIfPresent(error, forKey: .error)
    }

    private enum CodingKeys: String, CodingKey { case file, label, confidence, score, distance, error }
}
