/// Repair: rebuilds what a damaged graph lost from what survived. In-links are derived data and
/// are recomputed from the out-links; nodes without an intact record are inserted again from
/// their vectors; nodes the entry point cannot reach get in-links from their nearest reachable
/// neighbours. Everything happens in the caller's write transaction.
extension HNSWWriter {
    /// The intact records of the graph table, by node; nodes with a damaged record, and records
    /// of nodes not in `live`, are listed apart. Reads the map, not the writer's cache.
    func scanRecords(live: Set<UInt32>) throws -> (intact: [UInt32: GraphRecord.Node], damaged: Set<UInt32>, orphans: [UInt32]) {
        var intact: [UInt32: GraphRecord.Node] = [:]
        var damaged = Set<UInt32>()
        var orphans: [UInt32] = []
        try txn.withCursor(on: tables.graph) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key) else { return true }
                if !live.contains(node) {
                    orphans.append(node)
                } else if GraphRecord.isIntact(entry.value) {
                    intact[node] = GraphRecord.decode(entry.value)
                } else {
                    damaged.insert(node)
                }
                return true
            }
        }
        return (intact, damaged, orphans)
    }

    /// Drops self-links, duplicates and links to nodes that are not in `records` at that layer,
    /// trims lists to the degree bound and recomputes every in-list from the out-lists.
    /// Returns the nodes whose records changed and how many out-links were dropped.
    static func sanitize(_ records: inout [UInt32: GraphRecord.Node], parameters: HNSWParameters) -> (changed: Set<UInt32>, droppedLinks: Int) {
        var changed = Set<UInt32>()
        var dropped = 0
        let levels = records.mapValues(\.level)
        for node in records.keys.sorted() {
            guard var record = records[node] else { continue }
            for layer in record.out.indices {
                var seen = Set<UInt32>()
                let kept = record.out[layer].filter { target in
                    target != node && (levels[target] ?? -1) >= layer && seen.insert(target).inserted
                }
                let bounded = Array(kept.prefix(parameters.maximumLinks(layer: layer)))
                if bounded != record.out[layer] {
                    dropped += record.out[layer].count - bounded.count
                    record.out[layer] = bounded
                    changed.insert(node)
                }
            }
            records[node] = record
        }
        var derivedIn: [UInt32: [[UInt32]]] = records.mapValues { Array(repeating: [], count: $0.level + 1) }
        for node in records.keys.sorted() {
            guard let record = records[node] else { continue }
            for layer in record.out.indices {
                for target in record.out[layer] { derivedIn[target]?[layer].append(node) }
            }
        }
        for (node, inLinks) in derivedIn {
            guard var record = records[node] else { continue }
            let same = zip(record.in, inLinks).allSatisfy { Set($0) == Set($1) && $0.count == $1.count }
            if !same {
                record.in = inLinks
                records[node] = record
                changed.insert(node)
            }
        }
        return (changed, dropped)
    }

    /// Deletes `node`'s graph record without touching any other record.
    func deleteRecord(_ node: UInt32) throws {
        try node.withKeyBytes { key in _ = try txn.delete(key, in: tables.graph) }
        // a damaged record's links are unknown: the tree is built again
        reachability?.invalidate()
        nodes.cache.setNode(node, nil)
        noteChanged(node)
    }

    /// Makes the level index hold exactly the nodes of level ≥ 1 in `records`.
    func rebuildLevelIndex(_ records: [UInt32: GraphRecord.Node]) throws {
        try txn.removeAll(in: tables.levels)
        for (node, record) in records.sorted(by: { $0.key < $1.key }) { try addToLevelIndex(node, level: record.level) }
    }

    /// Whether `node`'s vector is stored and passes its checksum.
    func hasIntactVector(_ node: UInt32) throws -> Bool {
        do {
            return try nodes.withVector(node) { _, _ in true } ?? false
        } catch StoreError.corruptRecord {
            return false
        }
    }

    /// A copy of `node`'s vector and its norm, or nil when it is missing or damaged.
    func vectorCopy(_ node: UInt32) throws -> (values: [Float], norm: Float)? {
        let dimension = self.dimension
        do {
            return try nodes.withVector(node) { values, norm in
                (Array(UnsafeBufferPointer(start: values.assumingMemoryBound(to: Float.self), count: dimension)), norm)
            }
        } catch StoreError.corruptRecord {
            return nil
        }
    }

    /// Gives `node` (which has a record, and an intact vector) in-links in layer 0 from its nearest
    /// nodes a search from the entry point finds, so it and everything it links to become
    /// reachable. Returns how many in-links it gained.
    func reconnect(_ node: UInt32, vector: [Float], norm: Float) throws -> Int {
        // the efConstruction nearest nodes in layer 0 a search from the entry point finds
        let pool = try vector.withUnsafeBytes { bytes in
            try candidatePools(bytes.baseAddress!, norm: norm, level: 0).first ?? []
        }.filter { $0.node != node }
        guard !pool.isEmpty, var record = try self.node(node) else { return 0 }
        let chosen = try selectNeighbours(from: pool, limit: parameters.m)
        var gained = 0
        for neighbour in chosen where !record.in[0].contains(neighbour.node) {
            if try link(from: neighbour.node, to: node, distance: neighbour.distance, layer: 0, targetLinksBack: false) {
                record.in[0].append(neighbour.node)
                gained += 1
            }
        }
        if gained == 0 {
            for neighbour in pool where try forceLink(from: neighbour.node, to: node, layer: 0) {
                record.in[0].append(neighbour.node)
                gained = 1
                break
            }
        }
        // the neighbours' prunes may have rewritten this record's in-links; start from the latest
        if gained > 0, var latest = try self.node(node) {
            latest.in[0] = (latest.in[0] + record.in[0]).uniqued()
            try write(latest, for: node)
        }
        return gained
    }
}
