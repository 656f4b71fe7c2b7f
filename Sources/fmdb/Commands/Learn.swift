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

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard mergeRadius >= 0, mergeRadius.isFinite else {
                throw ValidationError("--merge-radius must be a finite distance ≥ 0, got \(mergeRadius)")
            }
            if examples == nil {
                guard !files.isEmpty, label != nil else { throw ValidationError("name files and --label, or --examples LIST.tsv") }
            } else {
                guard files.isEmpty, label == nil else { throw ValidationError("--examples replaces FILES and --label") }
            }
        }

        func run() throws {
            let labelled: [(String, String)]
            if let examples { labelled = try ExampleList.read(examples) } else { labelled = files.map { ($0, self.label ?? "") } }
            let pipeline = try FeaturePipeline(try location.extractor(extractor))
            var observations: [Observation] = []
            for (file, _) in labelled {
                do {
                    observations.append(try pipeline.observation(of: file))
                } catch {
                    throw CLIError("\(file): \(error)")
                }
            }
            let store = try pipeline.open(location, create: true)
            guard store.dimension == pipeline.dimension else {
                throw CLIError("the store holds \(store.dimension)-value vectors; --extractor \(pipeline.choice.rawValue) makes \(pipeline.dimension)")
            }
            let summary = try pipeline.learn(observations, labels: labelled.map { $0.1 }, in: store, mergeRadius: mergeRadius)
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
