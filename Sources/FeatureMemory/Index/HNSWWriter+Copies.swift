/// Copies: vectors at distance 0 from each other (the same row imported under several ids, or
/// for cosine one vector at several scales). The selection heuristic would let copies fill each
/// other's lists and push every other node's link to them out, until a group of copies linked
/// only among themselves is unreachable. So a list keeps one copy of each vector, and every node
/// keeps an in-link from a node that is not its copy.
extension HNSWWriter {
    /// Distances at or below this are copies (exact copies give 0 under l2, rounding leaves a
    /// few ulps under cosine and inner product).
    static let copyDistance: Float = 1e-6

    /// Whether some node of `sources` is not a copy of `vector` (a damaged one counts as not a
    /// copy: nothing is known of it).
    func hasSourceOtherThanCopies(among sources: [UInt32], of vector: UnsafeRawPointer, norm: Float) throws -> Bool {
        for source in sources {
            guard let d = try distance(vector, norm: norm, to: source) else { return true }
            if d > Self.copyDistance { return true }
        }
        return false
    }

    /// Whether `node` has an in-link in `layer`, from `sources` (its in-links there, perhaps
    /// less the one about to go), that does not come from a copy of it. Loads its vector into
    /// scratch slot `slot`.
    func hasInLinkOtherThanCopies(_ node: UInt32, among sources: [UInt32], slot: Int) throws -> Bool {
        guard !sources.isEmpty else { return false }
        // a damaged vector: distances mean nothing, so any in-link counts
        guard let norm = try loadVector(node, intoSlot: slot) else { return true }
        return try hasSourceOtherThanCopies(among: sources, of: scratch.slot(slot), norm: norm)
    }
}
