/// Deletion with repair: every node that linked to the deleted one gets a new neighbour list chosen
/// from its remaining links and the deleted node's links, so the graph keeps its quality under churn
/// and no link is left dangling. The entry point moves when it goes.
extension HNSWWriter {
    /// Unlinks `node` from the graph and removes its record. Nothing happens when it has none.
    func remove(_ node: UInt32) throws {
        guard let record = try self.node(node) else { return }
        for layer in 0...record.level {
            let outs = record.out[layer].filter { $0 != node }
            let ins = record.in[layer].filter { $0 != node }
            // the nodes it linked to forget the in-link
            for target in outs.uniqued() {
                guard var targetRecord = try self.node(target), targetRecord.in.indices.contains(layer) else { continue }
                targetRecord.in[layer].removeAll { $0 == node }
                try write(targetRecord, for: target)
            }
            // the nodes that linked to it choose new neighbours among its links
            for source in ins.uniqued() {
                guard var sourceRecord = try self.node(source), sourceRecord.out.indices.contains(layer) else { continue }
                sourceRecord.out[layer].removeAll { $0 == node }
                let added = try relink(&sourceRecord, of: source, layer: layer, candidates: outs + ins)
                try write(sourceRecord, for: source)
                for target in added {
                    guard var targetRecord = try self.node(target), targetRecord.in.indices.contains(layer) else { continue }
                    targetRecord.in[layer].append(source)
                    try write(targetRecord, for: target)
                }
            }
            // a former neighbour no one links to any more is linked from its nearest former peer
            for orphan in outs.uniqued() where try isOrphan(orphan, layer: layer) {
                try adopt(orphan, layer: layer, among: ins + outs)
            }
        }
        try node.withKeyBytes { key in _ = try txn.delete(key, in: tables.graph) }
        reachability?.removed(node, outLinks: record.out[0])
        nodes.cache.setNode(node, nil)
        noteChanged(node)
        try removeFromLevelIndex(node, level: record.level)
        if let entry = try entryPoint(), entry.node == node { try replaceEntry(excluding: node, hint: record) }
    }

    /// Re-selects `record`'s out-links in `layer` from its current links plus `candidates`; returns
    /// the targets it gained (their in-links must be updated by the caller).
    private func relink(
        _ record: inout GraphRecord.Node, of source: UInt32, layer: Int, candidates: [UInt32]
    ) throws -> [UInt32] {
        let before = Set(record.out[layer])
        let fresh = candidates.filter { $0 != source && !before.contains($0) }
        guard !fresh.isEmpty else { return [] }
        try prune(&record, of: source, layer: layer, adding: nil, candidates: fresh, fillToM: true)
        return record.out[layer].filter { !before.contains($0) }
    }

    /// Whether `node` (other than the entry point) has no in-links in `layer` but from its copies.
    private func isOrphan(_ node: UInt32, layer: Int) throws -> Bool {
        guard let record = try self.node(node), record.in.indices.contains(layer) else { return false }
        if let entry = try entryPoint(), entry.node == node { return false }
        scratch.reserveSlots(2)
        return try !hasInLinkOtherThanCopies(node, among: record.in[layer], slot: 0)
    }

    /// Links `orphan` from the nearest of `peers` in `layer` that can spare a link.
    private func adopt(_ orphan: UInt32, layer: Int, among peers: [UInt32]) throws {
        scratch.reserveSlots(2)
        guard let orphanNorm = try loadVector(orphan, intoSlot: 0) else { return }
        let base = scratch.slot(0)
        var ranked: [Candidate] = []
        for peer in peers.uniqued() where peer != orphan {
            guard let d = try distance(base, norm: orphanNorm, to: peer) else { continue }
            ranked.append(Candidate(distance: d, node: peer))
        }
        // the nearest peer that is not a copy of it first
        let order = ranked.sorted().filter { $0.distance > Self.copyDistance } + ranked.sorted().filter { $0.distance <= Self.copyDistance }
        for peer in order where try forceLink(from: peer.node, to: orphan, layer: layer) {
            guard var orphanRecord = try self.node(orphan) else { return }
            guard !orphanRecord.in[layer].contains(peer.node) else { return }
            orphanRecord.in[layer].append(peer.node)
            try write(orphanRecord, for: orphan)
            return
        }
    }

    /// Picks a new entry point after `removed` (the old one) left: a node of the highest level still
    /// present, else one of its layer-0 links, else any node; clears it when the graph is empty.
    private func replaceEntry(excluding removed: UInt32, hint: GraphRecord.Node) throws {
        let highest = try txn.withCursor(on: tables.levels) { cursor -> (UInt32, Int)? in
            guard let last = try cursor.last(), let level = UInt32(keyBytes: last.key),
                  let node = UInt32(keyBytes: last.value) else { return nil }
            return (node, Int(level))
        }
        if let (node, level) = highest {
            try setEntry(node, level: level)
            return
        }
        for candidate in hint.out[0] + hint.in[0] where candidate != removed {
            if try self.node(candidate) != nil {
                try setEntry(candidate, level: 0)
                return
            }
        }
        let any = try txn.withCursor(on: tables.graph) { cursor -> UInt32? in
            guard let first = try cursor.first() else { return nil }
            return UInt32(keyBytes: first.key)
        }
        if let any, let record = try self.node(any) {
            try setEntry(any, level: record.level)
        } else {
            try txn.delete(.graphEntry, in: tables.meta)
            try txn.delete(.graphMaxLevel, in: tables.meta)
        }
    }
}
