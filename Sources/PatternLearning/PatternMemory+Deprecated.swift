/// The tuple and argument-label forms `learn` and `calibrate` took before `LabelledExample`, kept
/// so callers compile (with a warning) while they move over. Each forwards unchanged.
extension PatternMemory {
    /// Learns one example of `label`; use `learn(_:)` with a `LabelledExample`.
    // not `renamed:`: its fix-it would keep the arguments and drop the label
    @available(*, deprecated, message: "use learn(LabelledExample(features:label:))")
    @discardableResult
    public func learn(_ features: [Float], label: String) throws -> LearnOutcome {
        try learn(LabelledExample(features: features, label: label))
    }

    /// Learns many examples in one transaction; use `learn(_:)` with `[LabelledExample]`.
    @available(*, deprecated, message: "use learn(_:) with [LabelledExample]")
    @discardableResult
    public func learn(_ examples: [(features: [Float], label: String)]) throws -> [LearnOutcome] {
        try learn(examples.map { LabelledExample(features: $0.features, label: $0.label) })
    }

    /// Calibrates on held-out examples; use `calibrate(heldOut:bins:)` with `[LabelledExample]`.
    @available(*, deprecated, message: "use calibrate(heldOut:bins:) with [LabelledExample]")
    @discardableResult
    public func calibrate(heldOut examples: [(features: [Float], label: String)], bins: Int = 10) throws -> ConfidenceCalibration {
        try calibrate(heldOut: examples.map { LabelledExample(features: $0.features, label: $0.label) }, bins: bins)
    }
}
