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
    let parameters: HNSWParameters
    let metric: Metric
    let dimension: Int
    /// Every item's stored vector, one after another (no array to retain per comparison).
    private let values: [Float]
    private let norms: [Float]
    private let levels: [Int]
    /// For each snapshot node an item rewrites (an upsert), that item's position.
    private let rewrittenAt: [UInt32: Int]

    init(items: [PlannedItem], dimension: Int, parameters: HNSWParameters, metric: Metric) {
        self.parameters = parameters
        self.metric = metric
        self.dimension = dimension
        var values: [Float] = []
        values.reserveCapacity(items.count * dimension)
        var rewrittenAt: [UInt32: Int] = [:]
        for (position, item) in items.enumerated() {
            values += item.values
            if let node = item.snapshotNode, rewrittenAt[node] == nil { rewrittenAt[node] = position }
        }
        self.values = values
        norms = items.map(\.norm)
        levels = items.map(\.level)
        self.rewrittenAt = rewrittenAt
    }

    /// The plan of the item at `position`, from `snapshotPools` (its candidates per layer in the
    /// snapshot `source` reads, nearest first). A snapshot candidate the item itself or an earlier
    /// item rewrites is left out (the earlier item takes its place as a peer); a damaged one is
    /// skipped by the selection.
    func plan(_ position: Int, snapshotPools: [[Candidate]], source: WriterNodes, scratch: SearchScratch) throws -> BatchLinkPlan {
        let level = levels[position], efConstruction = parameters.efConstruction
        let dimension = self.dimension, metric = self.metric, norms = self.norms
        return try values.withUnsafeBytes { all -> BatchLinkPlan in
            let stride = dimension * 4
            let query = all.baseAddress! + position * stride, queryNorm = norms[position]
            // the nearest earlier items per layer, in bounded heaps (most of a large batch is far)
            let heapStorage = UnsafeMutablePointer<Candidate>.allocate(capacity: (level + 1) * efConstruction)
            defer { heapStorage.deallocate() }
            var peerHeaps = (0...level).map { BoundedMaxHeap(storage: heapStorage + $0 * efConstruction, capacity: efConstruction) }
            for peer in 0..<position {
                let top = min(level, levels[peer])
                let d = Distance.between(query, norm: queryNorm, all.baseAddress! + peer * stride, norm: norms[peer], count: dimension, metric: metric)
                for layer in 0...top { peerHeaps[layer].offer(Candidate(distance: d, node: UInt32(peer))) }
            }
            var pools = [[PlannedCandidate]](repeating: [], count: level + 1)
            var chosen = [[PlannedCandidate]](repeating: [], count: level + 1)
            for layer in 0...level {
                peerHeaps[layer].sortNearestFirst()
                let peers = UnsafeBufferPointer(start: peerHeaps[layer].storage, count: peerHeaps[layer].count)
                let snapshot = layer < snapshotPools.count ? snapshotPools[layer] : []
                pools[layer] = merged(snapshot, peers, before: position, limit: efConstruction)
                chosen[layer] = try NeighbourSelection.select(
                    from: pools[layer], limit: parameters.m, distance: \.distance, metric: metric, scratch: scratch
                ) { candidate, body in
                    if candidate.isPeer { return body(all.baseAddress! + Int(candidate.reference) * stride, norms[Int(candidate.reference)]) }
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

    /// The `limit` nearest of `snapshot` (less the nodes rewritten at or before `position`) and
    /// `peers` (positions), both nearest first, in `PlannedCandidate` order.
    private func merged(_ snapshot: [Candidate], _ peers: UnsafeBufferPointer<Candidate>, before position: Int, limit: Int) -> [PlannedCandidate] {
        var pool: [PlannedCandidate] = []
        pool.reserveCapacity(min(limit, snapshot.count + peers.count))
        var s = 0, p = 0
        while pool.count < limit {
            while s < snapshot.count, let rewriter = rewrittenAt[snapshot[s].node], rewriter <= position { s += 1 }
            let stored = s < snapshot.count ? PlannedCandidate(distance: snapshot[s].distance, reference: snapshot[s].node, isPeer: false) : nil
            let peer = p < peers.count ? PlannedCandidate(distance: peers[p].distance, reference: peers[p].node, isPeer: true) : nil
            switch (stored, peer) {
            case let (stored?, peer?) where stored < peer:
                pool.append(stored)
                s += 1
            case let (_, peer?):
                pool.append(peer)
                p += 1
            case let (stored?, nil):
                pool.append(stored)
                s += 1
            case (nil, nil):
                return pool
            }
        }
        return pool
    }
}
