/// Stored ids to read, chosen in setup and cycled through, so the measured loop draws no random numbers.
final class IDCycle {
    /// The ids, set by the benchmark's setup hook.
    var ids: [UInt64] = []
    private var cursor = 0

    /// The next id, wrapping around.
    func next() -> UInt64 {
        defer { cursor = (cursor + 1) % ids.count }
        return ids[cursor]
    }
}
