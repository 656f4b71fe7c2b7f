/// A seedable random number generator (SplitMix64) that gives the same sequence for the same seed
/// on every platform, so a workload, a test or a benchmark replays exactly from the seed it printed.
///
/// Fast and statistically good enough for test data and workload schedules; not for anything that
/// must be unpredictable (ids an attacker must not guess, keys): use `SystemRandomNumberGenerator`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence depends only on `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        // a Weyl sequence scrambled by two multiply-xorshift rounds (Steele, Lea and Flood, 2014);
        // the constants are SplitMix64's, so sequences match every other SplitMix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
