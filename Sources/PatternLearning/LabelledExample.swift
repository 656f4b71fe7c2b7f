/// One example to learn or to calibrate with: a feature vector and the label it is an example of,
/// named as `VectorItem` names what `FeatureStore.put` takes.
public struct LabelledExample: Sendable, Equatable {
    /// The features, as many as the store's dimension.
    public var features: [Float]
    /// The label the features are an example of.
    public var label: String
    /// The clip's frames, kept with a new pattern for alignment at recognition; nil for none.
    public var sequence: FrameSequence?

    /// An example of `label`, with the frames of its clip when recognition should align them.
    public init(features: [Float], label: String, sequence: FrameSequence? = nil) {
        self.features = features
        self.label = label
        self.sequence = sequence
    }
}
