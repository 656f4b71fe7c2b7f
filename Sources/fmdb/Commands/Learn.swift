import ArgumentParser
import CommandSupport
import FeatureExtraction
import FeatureMemory
import LearningPipeline
import Foundation
import PatternLearning

extension FMDB {
    /// `fmdb learn STORE FILES... --label L [--extractor speech|mfcc|baseline|wav2vec2]` or `fmdb learn STORE --examples LIST.tsv`
    struct Learn: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "learn",
            abstract: "Learn audio clips (or model hidden states) as examples of a label, creating the store when absent.",
            discussion: """
                Every file is read and its features extracted before anything is written: a bad file stops \
                the command with its name and the store is left as it was. The normalization statistics kept \
                in the store are updated with these examples; the examples are then learned in one transaction \
                (merged into a near pattern of the label, or kept as new patterns). Patterns learned by earlier \
                calls keep the statistics of their time, so teach a vocabulary in one call (--examples) where \
                you can.
                """)

        @OptionGroup var location: StoreArguments

        @Argument(help: "WAV files (or .npy hidden states with --extractor wav2vec2).")
        var files: [String] = []

        @Option(help: "The label these examples teach.")
        var label: String?

        @Option(help: "Instead of FILES and --label: lines of path<TAB>label, learned together (so the normalization statistics cover them all).")
        var examples: String?

        @Option(help: "Feature extractor: speech, mfcc, baseline or wav2vec2 (default: what the store was taught with; speech for a new store).")
        var extractor: ExtractorChoice?

        @Option(help: "Merge an example into a pattern of its label nearer than this (0, the default, keeps every example).")
        var mergeRadius: Float = 0

        @Option(help: "Also learn each clip played at these speeds, e.g. 0.9,1.1 (0.5…2).")
        var augmentSpeeds: String?

        // unconditional: the list may start with a minus sign
        @Option(parsing: .unconditional, help: "Also learn each clip at these pitch shifts in semitones, same length, e.g. -2,2 (−12…12).")
        var augmentPitch: String?

        @Option(help: "Also learn each clip with white noise at these signal-to-noise ratios in dB, e.g. 20 (−10…60).")
        var augmentNoise: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        /// The augmentation the flags ask for.
        func augmentation() throws -> Augmentation {
            func numbers(_ text: String?, _ flag: String) throws -> [Double] {
                guard let text else { return [] }
                return try text.split(separator: ",").map {
                    guard let value = Double($0.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                        throw ValidationError("\(flag) takes numbers separated by commas, got \"\(text)\"")
                    }
                    return value
                }
            }
            do {
                return try Augmentation(
                    speeds: try numbers(augmentSpeeds, "--augment-speeds"), pitchShifts: try numbers(augmentPitch, "--augment-pitch"),
                    noiseRatios: try numbers(augmentNoise, "--augment-noise"))
            } catch let error as AudioError {
                throw ValidationError("\(error)")
            }
        }

        func validate() throws {
            guard mergeRadius >= 0, mergeRadius.isFinite else {
                throw ValidationError("--merge-radius must be a finite distance ≥ 0, got \(mergeRadius)")
            }
            if examples == nil {
                guard !files.isEmpty, label != nil else { throw ValidationError("name files and --label, or --examples LIST.tsv") }
            } else {
                guard files.isEmpty, label == nil else { throw ValidationError("--examples replaces FILES and --label") }
            }
            _ = try augmentation()
        }

        func run() throws {
            let labelled: [(String, String)]
            if let examples { labelled = try ExampleList.read(examples) } else { labelled = files.map { ($0, self.label ?? "") } }
            let pipeline = try FeaturePipeline(try location.extractor(extractor))
            let augmentation = try augmentation()
            var observations: [Observation] = [], labels: [String] = []
            for (file, label) in labelled {
                do {
                    let made = try pipeline.observations(of: file, augmentation: augmentation)
                    observations += made
                    labels += Array(repeating: label, count: made.count)
                } catch {
                    throw CLIError("\(file): \(error)")
                }
            }
            let store = try pipeline.open(location, create: true)
            try pipeline.checkFits(store)
            let summary = try pipeline.learn(observations, labels: labels, in: store, mergeRadius: mergeRadius)
            let taught = summary.labels.count == 1 ? "\"\(summary.labels[0])\"" : "\(summary.labels.count) labels"
            let (created, outcomes) = (summary.created, summary.examples)
            if json {
                try Output.printJSON(LearnResult(labels: summary.labels, examples: outcomes, created: created, merged: summary.merged))
            } else {
                print("learned \(outcomes) examples of \(taught): \(created) new patterns, \(summary.merged) merged")
            }
        }
    }
}

/// What `learn --json` prints.
struct LearnResult: Encodable {
    var labels: [String]
    var examples: Int
    var created: Int
    var merged: Int
}

/// Files with their labels, from lines of path<TAB>label.
enum ExampleList {
    static func read(_ path: String) throws -> [(String, String)] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw CLIError("\(path): \(error.localizedDescription)") }
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, !parts[1].isEmpty else { throw CLIError("\(path): expected path<TAB>label, got \"\(line)\"") }
            return (String(parts[0]), String(parts[1]))
        }
    }
}
