import ArgumentParser

/// The ranges numeric options accept. Each bound keeps an option from sizing an allocation or an
/// arithmetic result beyond what the machine can hold: past them a command would trap or abort
/// instead of saying what is wrong.
public enum OptionRange {
    /// Results per query (--k): a search keeps at least k candidates.
    public static let k = 1...100_000
    /// Candidates kept while searching (--ef).
    public static let ef = 1...100_000
    /// Threads issuing queries (--threads).
    public static let threads = 1...1_024
    /// Queries in a zipf stream (--stream-length): the stream is built in memory up front (8 bytes
    /// a query, so at most 80 MB).
    public static let streamLength = 1...10_000_000
    /// Passes over the query file (--passes); the passes' queries, like a zipf stream, at most `streamLength`'s bound.
    public static let passes = 1...10_000
    /// Node cache budget (--cache-mb), up to 1 TiB: the shift to bytes cannot overflow.
    public static let cacheMB = 0...(1 << 20)
    /// Patterns consulted per file (--neighbours).
    public static let neighbours = 1...10_000
    /// Kills of a crash test (--iterations).
    public static let iterations = 1...10_000_000
    /// The longest wait before a kill (--max-delay-ms): up to a minute.
    public static let maxDelayMs = 1...60_000
    /// Crash-test batch numbers (--from, --batches), far below where `from + batches` could overflow.
    public static let batchNumber = 0...(1 << 40)

    /// Throws a `ValidationError` (exit 64) naming `flag` and the range when `value` is outside `range`.
    public static func check(_ value: Int, in range: ClosedRange<Int>, flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be \(range.lowerBound)…\(range.upperBound), got \(value)")
        }
    }
}
