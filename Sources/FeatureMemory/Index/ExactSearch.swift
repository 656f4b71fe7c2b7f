/// Exhaustive nearest-neighbour search: every vector record is read in place and compared.
/// The reference for approximate search, and the method for small stores.
enum ExactSearch {
    /// The `k` nearest nodes to `query` (a validated vector of `dimension` floats) among the records
    /// of `vectors` in `txn`, nearest first; damaged records are skipped and appended to `damaged`.
    static func nearest(
        to query: UnsafeRawPointer, norm queryNorm: Float, count k: Int, vectors: Table, in txn: Transaction,
        codec: VectorCodec, metric: Metric, dimension: Int, damaged: inout [UInt32]
    ) throws -> [Candidate] {
        var best = CandidateHeap(nearestFirst: false)
        var skipped: [UInt32] = []
        defer { damaged.append(contentsOf: skipped) }
        try txn.withCursor(on: vectors) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key) else {
                    throw StoreError.corruptEntry(table: "vectors", key: "\(Array(entry.key))")
                }
                let values: UnsafeRawPointer, norm: Float
                do {
                    (values, norm) = try codec.decode(entry.value, node: node)
                } catch StoreError.corruptRecord {
                    // a damaged record is skipped and reported, not allowed to fail the search
                    skipped.append(node)
                    return true
                }
                let distance = Distance.between(query, norm: queryNorm, values, norm: norm, count: dimension, metric: metric)
                best.offer(Candidate(distance: distance, node: node), keeping: k)
                return true
            }
        }
        return best.elements.sorted()
    }
}
