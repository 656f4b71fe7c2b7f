/// A candidate neighbour of a batch item, found before the batch's write transaction: a node of
/// the snapshot searched, or an earlier item of the same batch, known by its position until the
/// writer has given it a node.
struct PlannedCandidate: Comparable {
    /// The distance from the item to the candidate.
    var distance: Float
    /// A snapshot node, or (`isPeer`) the position of an earlier item of the batch.
    var reference: UInt32
    /// Whether `reference` is a position in the batch.
    var isPeer: Bool

    static func < (a: PlannedCandidate, b: PlannedCandidate) -> Bool {
        if a.distance != b.distance { return a.distance < b.distance }
        if a.isPeer != b.isPeer { return !a.isPeer }
        return a.reference < b.reference
    }
}

/// What the writer needs to link one batch item without searching or comparing vectors: per
/// layer (index 0 the bottom), its candidate pool — the snapshot's candidates the batch does not
/// rewrite and the earlier items of the batch, nearest first, `efConstruction` at most — and the
/// neighbours the selection heuristic keeps of that pool.
struct BatchLinkPlan {
    /// Per layer, the candidates nearest first.
    var pools: [[PlannedCandidate]]
    /// Per layer, the neighbours chosen from `pools`.
    var chosen: [[PlannedCandidate]]

    /// The plan with each peer's position replaced by its node (`peerNodes[position]`); nil when a
    /// position has no node yet.
    func resolved(peerNodes: [UInt32]) -> (pools: [[Candidate]], chosen: [[Candidate]])? {
        func resolve(_ layers: [[PlannedCandidate]]) -> [[Candidate]]? {
            var resolved: [[Candidate]] = []
            resolved.reserveCapacity(layers.count)
            for layer in layers {
                var candidates: [Candidate] = []
                candidates.reserveCapacity(layer.count)
                for planned in layer {
                    if planned.isPeer {
                        guard Int(planned.reference) < peerNodes.count else { return nil }
                        candidates.append(Candidate(distance: planned.distance, node: peerNodes[Int(planned.reference)]))
                    } else {
                        candidates.append(Candidate(distance: planned.distance, node: planned.reference))
                    }
                }
                resolved.append(candidates)
            }
            return resolved
        }
        guard let pools = resolve(pools), let chosen = resolve(chosen) else { return nil }
        return (pools, chosen)
    }
}

/// A batch item as the planner compares it.
struct PlannedItem {
    /// The vector as the writer will store it (after the store's encoding).
    let values: [Float]
    /// The norm of `values`.
    let norm: Float
    /// The item's level in the graph.
    let level: Int
    /// The node its id holds in the snapshot (an upsert), or nil for a new id.
    let snapshotNode: UInt32?
}

/// Plans the linking of a batch's items, each from the candidates a search of the last committed
/// snapshot found, plus every earlier item of the batch compared exactly: the work the single
/// writer did item by item, done on every core before the write transaction. The plan is the one
/// the writer would have made (same pools, same heuristic, same stored vectors), so the graph does
/// not depend on which thread planned an item.
struct BatchLinkPlanner {
    let items: [PlannedItem]
    let parameters: HNSWParameters
    let metric: Metric
    /// For each snapshot node an item rewrites (an upsert), that item's position.
    private let rewrittenAt: [UInt32: Int]

    init(items: [PlannedItem], parameters: HNSWParameters, metric: Metric) {
        self.items = items
        self.parameters = parameters
        self.metric = metric
        var rewrittenAt: [UInt32: Int] = [:]
        for (position, item) in items.enumerated() {
            if let node = item.snapshotNode, rewrittenAt[node] == nil { rewrittenAt[node] = position }
        }
        self.rewrittenAt = rewrittenAt
    }

    /// The plan of the item at `position`, from `snapshotPools` (its candidates per layer in the
    /// snapshot `source` reads). A snapshot candidate the item itself or an earlier item rewrites
    /// is left out (the earlier item takes its place as a peer); a damaged one is skipped.
    func plan(_ position: Int, snapshotPools: [[Candidate]], source: WriterNodes, scratch: SearchScratch) throws -> BatchLinkPlan {
        let item = items[position]
        var pools = [[PlannedCandidate]](repeating: [], count: item.level + 1)
        for layer in 0...item.level where layer < snapshotPools.count {
            pools[layer].reserveCapacity(snapshotPools[layer].count + position)
            for candidate in snapshotPools[layer] {
                if let rewriter = rewrittenAt[candidate.node], rewriter <= position { continue }
                pools[layer].append(PlannedCandidate(distance: candidate.distance, reference: candidate.node, isPeer: false))
            }
        }
        let dimension = scratch.dimension
        item.values.withUnsafeBytes { query in
            for peer in 0..<position {
                let other = items[peer]
                let top = min(item.level, other.level)
                let d = other.values.withUnsafeBytes { values in
                    Distance.between(query.baseAddress!, norm: item.norm, values.baseAddress!, norm: other.norm, count: dimension, metric: metric)
                }
                for layer in 0...top { pools[layer].append(PlannedCandidate(distance: d, reference: UInt32(peer), isPeer: true)) }
            }
        }
        var chosen = [[PlannedCandidate]](repeating: [], count: item.level + 1)
        for layer in pools.indices {
            pools[layer].sort()
            if pools[layer].count > parameters.efConstruction { pools[layer].removeLast(pools[layer].count - parameters.efConstruction) }
            chosen[layer] = try NeighbourSelection.select(
                from: pools[layer], limit: parameters.m, distance: \.distance, metric: metric, scratch: scratch
            ) { candidate, body in
                if candidate.isPeer {
                    let peer = items[Int(candidate.reference)]
                    return peer.values.withUnsafeBytes { body($0.baseAddress!, peer.norm) }
                }
                do {
                    return try source.withVector(candidate.reference, body)
                } catch StoreError.corruptRecord {
                    return nil
                }
            }
        }
        return BatchLinkPlan(pools: pools, chosen: chosen)
    }
}
