import ArgumentParser
import FeatureMemory
import LearningPipeline

extension ExtractorChoice: ExpressibleByArgument {}

extension FeaturePipeline {
    /// Opens the store, creating it for these vectors when `create` and it is absent.
    func open(_ location: StoreArguments, create: Bool) throws -> FeatureStore {
        try FeatureStore(at: location.url, options: location.options(dimension: dimension, metric: metric, create: create))
    }
}
