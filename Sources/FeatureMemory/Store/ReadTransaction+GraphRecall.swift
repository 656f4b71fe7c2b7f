/// How many of a query's true neighbours the graph found: the two searches the recall estimates
/// compare (the server's canary, `fmdb stats`), run in one snapshot.
public struct GraphRecall: Sendable, Equatable {
    /// True neighbours the graph search returned.
    public var found: Int
    /// True neighbours looked for (at most k; fewer when fewer vectors match).
    public var expected: Int
    /// `found ÷ expected`.
    public var recall: Double { Double(found) / Double(expected) }
}

extension ReadTransaction {
    /// Searches `query` through the graph (at `ef`) and exhaustively, in this snapshot, and
    /// counts how many of the `k` true neighbours the graph found; `excluding` leaves one id out
    /// of both (a stored vector used as its own query). Nil when nothing matches.
    public func graphRecall(
        of query: [Float], count k: Int, ef: Int? = nil, filter: SearchFilter? = nil, excluding: UInt64? = nil
    ) throws -> GraphRecall? {
        let extra = excluding == nil ? 0 : 1
        let truth = try exactNearest(to: query, count: k + extra, filter: filter).map(\.id).filter { $0 != excluding }.prefix(k)
        guard !truth.isEmpty else { return nil }
        let graphEf = ef.map { max($0, k + extra) }
        let found = Set(try nearest(to: query, count: k + extra, ef: graphEf, filter: filter).map(\.id).filter { $0 != excluding }.prefix(k))
        return GraphRecall(found: truth.filter { found.contains($0) }.count, expected: truth.count)
    }
}
