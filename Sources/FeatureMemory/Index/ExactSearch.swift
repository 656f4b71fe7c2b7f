import HeapModule

/// Exhaustive nearest-neighbour search: every vector record is read in place and compared.
/// The reference for approximate search, and the method for small stores.
enum ExactSearch {
    /// A node and its distance to the query, ordered by distance then node.
    struct Candidate: Comparable {
        var distance: Float
        var node: UInt32
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.distance < b.distance || (a.distance == b.distance && a.node < b.node)
        }
    }

    /// The `k` nearest nodes to `query` (a validated vector of the store's dimension), nearest first.
    static func nearest(
        to query: UnsafeRawPointer, norm queryNorm: Float, count k: Int, in transaction: ReadTransaction
    ) throws -> [Candidate] {
        let dimension = transaction.store.dimension
        let metric = transaction.store.metric
        let codec = transaction.codec
        var best = Heap<Candidate>()
        best.reserveCapacity(k + 1)
        try transaction.txn.withCursor(on: transaction.tables.vectors) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(bigEndianKey: entry.key) else {
                    throw StoreError.corruptEntry(table: "vectors", key: "\(Array(entry.key))")
                }
                let (values, norm) = try codec.decode(entry.value, node: node)
                let distance = Distance.between(query, norm: queryNorm, values, norm: norm, count: dimension, metric: metric)
                let candidate = Candidate(distance: distance, node: node)
                if best.count < k {
                    best.insert(candidate)
                } else if let worst = best.max, candidate < worst {
                    best.replaceMax(with: candidate)
                }
                return true
            }
        }
        var ordered: [Candidate] = []
        ordered.reserveCapacity(best.count)
        while let next = best.popMin() { ordered.append(next) }
        return ordered
    }
}
