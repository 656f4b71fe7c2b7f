import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation
import LearningPipeline
import PatternLearning

extension FMDB {
    /// `fmdb patterns STORE [--json]`
    struct Patterns: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "patterns", abstract: "List the learned labels with their patterns and examples.")

        @OptionGroup var location: StoreArguments

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try location.open()
            let summaries = try PatternMemory(store: store).patterns()
            if json {
                try Output.printJSON(summaries)
                return
            }
            for summary in summaries { print("\(summary.label)\t\(summary.patterns) patterns\t\(summary.examples) examples") }
            print("\(summaries.reduce(0) { $0 + $1.patterns }) patterns of \(summaries.count) labels from \(summaries.reduce(0) { $0 + $1.examples }) examples")
        }
    }

    /// `fmdb calibrate STORE --examples LIST.tsv`
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calibrate",
            abstract: "Measure recognition on held-out labelled files and state confidences from what was observed.",
            discussion: "LIST.tsv has one line per file: path, a tab, its true label. Prints the reliability table.")

        @OptionGroup var location: StoreArguments

        @Option(help: "Held-out examples: lines of path<TAB>label.")
        var examples: String

        @Option(help: "Feature extractor the store was taught with.")
        var extractor: ExtractorChoice = .mfcc

        @Option(help: "Score bins of the table (1…1000).")
        var bins: Int = 10

        func validate() throws {
            try OptionRange.check(bins, in: ConfidenceCalibration.binCountRange, flag: "--bins")
        }

        func run() throws {
            let pipeline = try FeaturePipeline(extractor)
            let store = try location.open()
            let statistics = try pipeline.statistics(in: store)
            var heldOut: [LabelledExample] = []
            for (file, label) in try ExampleList.read(examples) {
                do {
                    heldOut.append(LabelledExample(features: try pipeline.normalized(try pipeline.features(of: file), with: statistics), label: label))
                } catch {
                    throw CLIError("\(file): \(error)")
                }
            }
            let table = try PatternMemory(store: store).calibrate(heldOut: heldOut, bins: bins)
            print("score       files  accuracy  stated confidence")
            for bin in table.bins where bin.count > 0 {
                print(String(format: "%.1f–%.1f  %6d  %8@  %.3f", bin.lower, bin.upper, bin.count,
                             bin.accuracy.map { String(format: "%.3f", $0) } ?? "-", bin.confidence))
            }
        }
    }
}
