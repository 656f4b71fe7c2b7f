/// Exhaustive nearest-neighbour search: every vector record is read in place and compared.
/// The reference for approximate search, and the method for small stores.
enum ExactSearch {
    /// The `k` nearest nodes to `query` (a validated vector of `dimension` floats) among the vector
    /// records of `tables` in `txn`, nearest first; damaged records are skipped and appended to `damaged`.
    static func nearest(
        to query: UnsafeRawPointer, norm queryNorm: Float, count k: Int, tables: StoreTables, in txn: Transaction,
        codec: VectorCodec, metric: Metric, dimension: Int, damaged: inout [UInt32]
    ) throws -> [Candidate] {
        var best = CandidateHeap(nearestFirst: false)
        var skipped: [UInt32] = []
        defer { damaged.append(contentsOf: skipped) }
        // a damaged record or block is skipped and reported, not allowed to fail the search
        try tables.forEachVectorRecord(in: txn, malformed: { entry in
            guard !entry.nodes.isEmpty else { throw entry.error }
            skipped.append(contentsOf: entry.nodes)
        }) { node, record in
            let values: UnsafeRawPointer, norm: Float
            do {
                (values, norm) = try codec.decode(record, node: node)
            } catch StoreError.corruptRecord {
                skipped.append(node)
                return true
            }
            let distance = Distance.between(query, norm: queryNorm, values, norm: norm, count: dimension, metric: metric)
            best.offer(Candidate(distance: distance, node: node), keeping: k)
            return true
        }
        return best.elements.sorted()
    }
}
