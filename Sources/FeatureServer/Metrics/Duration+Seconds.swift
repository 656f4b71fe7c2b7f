extension Duration {
    /// The duration in seconds, as the dashboard's rates and percentiles take it.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
