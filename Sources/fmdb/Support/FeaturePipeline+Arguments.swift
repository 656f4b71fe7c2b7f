import ArgumentParser
import CommandSupport
import FeatureMemory
import Foundation
import LearningPipeline

extension ExtractorChoice: ExpressibleByArgument {}

extension FeaturePipeline {
    /// Opens the store, creating it for these vectors when `create` and it is absent.
    func open(_ location: StoreArguments, create: Bool) throws -> FeatureStore {
        try FeatureStore(at: location.url, options: location.options(dimension: dimension, metric: metric, create: create))
    }

    /// Throws a message naming both sizes when `store` holds vectors of another size than these.
    func checkFits(_ store: FeatureStore) throws {
        guard store.dimension == dimension else {
            throw CLIError("the store holds \(store.dimension)-value vectors; --extractor \(choice.rawValue) makes \(dimension)")
        }
    }
}

extension StoreArguments {
    /// The extractor a command uses: `given` (--extractor), else the one the store was taught
    /// with, else `speech` (a new store).
    func extractor(_ given: ExtractorChoice?) throws -> ExtractorChoice {
        if let given { return given }
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("data.mdb").path) else { return .speech }
        return try FeaturePipeline.taught(in: try open()) ?? .speech
    }
}
