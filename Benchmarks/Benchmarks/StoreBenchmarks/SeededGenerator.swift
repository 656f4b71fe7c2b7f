/// A deterministic random number generator (SplitMix64), so every run measures the same vectors
/// and ids: results stay comparable between runs and between baselines.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// A generator whose sequence depends only on `seed`.
    init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        // SplitMix64: a Weyl sequence scrambled by two multiply-xorshift rounds; fast, and good
        // enough for test data (not for anything that needs unpredictability).
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
