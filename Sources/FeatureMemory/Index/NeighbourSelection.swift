/// The paper's neighbour-selection heuristic (HNSW, algorithm 4), for the writer and for the plans
/// a batch makes before its write transaction: from candidates nearest first to a base vector, keep
/// one only if it is nearer to the base than to every one kept before, which spreads links in all
/// directions instead of into one cluster.
enum NeighbourSelection {
    /// At most `limit` of `candidates` (nearest first; `distance` gives each one's distance to the
    /// base). `withVector` passes a candidate's vector and norm to its body, or returns nil when the
    /// candidate has none (missing or damaged: it is left out). Kept vectors are copied into
    /// `scratch`'s slots 0..<limit.
    static func select<Item>(
        from candidates: [Item], limit: Int, distance: (Item) -> Float, metric: Metric, scratch: SearchScratch,
        withVector: (Item, (UnsafeRawPointer, Float) -> Bool) throws -> Bool?
    ) rethrows -> [Item] {
        scratch.reserveSlots(limit + 2)
        let dimension = scratch.dimension, bytes = dimension * 4
        var selected: [Item] = []
        var norms: [Float] = []
        selected.reserveCapacity(limit)
        norms.reserveCapacity(limit)
        for candidate in candidates {
            guard selected.count < limit else { break }
            let slot = selected.count, base = distance(candidate)
            // compared where the vector lies; copied into its slot only when kept (most candidates
            // are not, and copying each took a tenth of an import)
            let kept = try withVector(candidate) { vector, norm -> Bool in
                for index in 0..<slot {
                    let d = Distance.between(vector, norm: norm, scratch.slot(index), norm: norms[index], count: dimension, metric: metric)
                    // a copy of a node already kept adds no direction
                    if d < base || d <= HNSWWriter.copyDistance { return false }
                }
                scratch.slot(slot).copyMemory(from: vector, byteCount: bytes)
                norms.append(norm)
                return true
            }
            if kept == true { selected.append(candidate) }
        }
        return selected
    }
}
