/// One example to learn or to calibrate with: a feature vector and the label it is an example of,
/// named as `VectorItem` names what `FeatureStore.put` takes.
public struct LabelledExample: Sendable, Equatable {
    /// The features, as many as the store's dimension.
    public var features: [Float]
    /// The label the features are an example of.
    public var label: String

    /// An example of `label`.
    public init(features: [Float], label: String) {
        self.features = features
        self.label = label
    }
}
