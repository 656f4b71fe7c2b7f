import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation
import LearningPipeline
import PatternLearning

extension FMDB {
    /// `fmdb patterns STORE [--json]`
    struct Patterns: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "patterns", abstract: "List the learned labels with their patterns, examples and the sizes recognition keeps.")

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
            for summary in summaries {
                print("\(summary.label)\t\(summary.patterns) patterns\t\(summary.examples) examples\t\(summary.frameBytes) bytes of frames")
            }
            // what recognition keeps: one vector a pattern (the store's values) and the frames
            let patterns = summaries.reduce(0) { $0 + $1.patterns }, frames = summaries.reduce(0) { $0 + $1.frameBytes }
            print("kept: \(patterns) vectors of \(store.dimension) values (\(store.encoding.rawValue)), \(frames) bytes of frames"
                  + (patterns > 0 ? " (\(frames / patterns) a pattern)" : ""))
            print("\(summaries.reduce(0) { $0 + $1.patterns }) patterns of \(summaries.count) labels from \(summaries.reduce(0) { $0 + $1.examples }) examples")
        }
    }

    /// `fmdb calibrate STORE --examples LIST.tsv`
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calibrate",
            abstract: "Measure recognition on held-out labelled files and state confidences from what was observed.",
            discussion: """
                LIST.tsv has one line per file: path, a tab, its true label. Prints the reliability table \
                and keeps it in the store. With --report the store is not changed: the files are recognized \
                with the confidences the store states now, and the accuracy, the reliability table and the \
                expected calibration error (ECE) are printed (--json: one object).
                """)

        @OptionGroup var location: StoreArguments

        @Option(help: "Held-out examples: lines of path<TAB>label.")
        var examples: String

        @Option(help: "Feature extractor: speech, mfcc, baseline or wav2vec2 (default: what the store was taught with).")
        var extractor: ExtractorChoice?

        @Option(help: "Score bins of the table (1…1000).")
        var bins: Int = 10

        @Flag(help: "Measure the stated confidences on these files (accuracy, reliability, ECE) without calibrating.")
        var report = false

        @Flag(help: "With --report: print the report as JSON.")
        var json = false

        func validate() throws {
            try OptionRange.check(bins, in: ConfidenceCalibration.binCountRange, flag: "--bins")
            if json && !report { throw ValidationError("--json goes with --report") }
        }

        func run() throws {
            let pipeline = try FeaturePipeline(try location.extractor(extractor))
            let store = try location.open()
            try pipeline.checkFits(store)
            let statistics = try pipeline.statistics(in: store)
            var heldOut: [LabelledExample] = []
            for (file, label) in try ExampleList.read(examples) {
                do {
                    let observation = try pipeline.observation(of: file)
                    heldOut.append(LabelledExample(
                        features: try pipeline.normalized(observation.features, with: statistics), label: label, sequence: observation.sequence))
                } catch {
                    throw CLIError("\(file): \(error)")
                }
            }
            if report {
                let measured = try PatternMemory(store: store).report(heldOut: heldOut, bins: bins)
                if json { return try Output.printJSON(measured) }
                print(String(format: "accuracy %.3f (%d of %d), expected calibration error %.3f (%d bins)",
                             measured.accuracy, measured.correct, measured.count, measured.expectedCalibrationError, bins))
                print("confidence  files  accuracy  mean confidence")
                for bin in measured.bins where bin.count > 0 {
                    print(String(format: "%.2f–%.2f  %5d  %8@  %.3f", bin.lower, bin.upper, bin.count,
                                 bin.accuracy.map { String(format: "%.3f", $0) } ?? "-", bin.meanConfidence))
                }
                return
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
