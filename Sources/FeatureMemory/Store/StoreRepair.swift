/// What `FeatureStore.repair()` changed.
public struct RepairReport: Sendable, Codable, Equatable {
    /// Ids whose graph record was damaged or missing and that were linked into the graph again.
    public var relinkedIDs: [UInt64] = []
    /// Ids that could not be linked again because their vector is damaged or missing: delete or
    /// put them again.
    public var unrepairableIDs: [UInt64] = []
    /// Out-links removed because they named missing nodes, or broke the degree bound.
    public var droppedLinks = 0
    /// Intact graph records rewritten (links dropped or in-links recomputed).
    public var rewrittenRecords = 0
    /// Graph records removed because no id maps to their node.
    public var removedOrphanRecords = 0
    /// Ids the entry point could not reach that were given in-links again.
    public var reconnectedIDs: [UInt64] = []
    /// Whether the entry point or the level index had to be set again.
    public var resetEntryPoint = false
    /// Counters in `meta` set again to what the tables hold.
    public var correctedCounters: [String] = []

    // spelled so that snake_case JSON reads relinked_ids, not relinked_i_ds
    private enum CodingKeys: String, CodingKey {
        case relinkedIDs = "relinkedIds", unrepairableIDs = "unrepairableIds", droppedLinks, rewrittenRecords
        case removedOrphanRecords, reconnectedIDs = "reconnectedIds", resetEntryPoint, correctedCounters
    }

    /// Whether the repair changed nothing.
    public var changedNothing: Bool {
        relinkedIDs.isEmpty && unrepairableIDs.isEmpty && droppedLinks == 0 && rewrittenRecords == 0
            && removedOrphanRecords == 0 && reconnectedIDs.isEmpty && !resetEntryPoint && correctedCounters.isEmpty
    }
}

extension FeatureStore {
    /// Rebuilds the HNSW graph around damage, in one write transaction: links to missing nodes are
    /// dropped, in-links recomputed from out-links, nodes whose graph record is damaged or missing
    /// are inserted again from their vectors, unreachable nodes get in-links from their nearest
    /// reachable neighbours, the entry point and level index are set from the records, and the
    /// counters from the tables. Vectors and metadata are never changed: an id whose vector is
    /// damaged is reported, to be deleted or put again.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func repair() throws -> RepairReport {
        try write { writer in
            // what this process cached may predate the damage on disk
            writerCache.discardEntries()
            var repair = StoreRepairer(writer: writer)
            return try repair.run()
        }
    }
}

/// One repair pass inside a write transaction.
struct StoreRepairer {
    let writer: WriteTransaction
    private var report = RepairReport()

    init(writer: WriteTransaction) { self.writer = writer }

    mutating func run() throws -> RepairReport {
        // counters first: re-linking searches the graph, whose scratch is sized by next_node
        for mismatch in try StoreCounters.mismatches(in: writer.txn, tables: writer.tables, dimension: writer.store.dimension) {
            try StoreCounters.correct(mismatch, in: writer.txn, tables: writer.tables)
            report.correctedCounters.append(mismatch.key.rawValue)
        }
        let graph = writer.indexWriter
        let idOfNode = try liveNodes()
        let scan = try graph.scanRecords(live: Set(idOfNode.keys))
        var records = scan.intact

        for orphan in scan.orphans { try graph.deleteRecord(orphan) }
        report.removedOrphanRecords = scan.orphans.count
        for node in scan.damaged { try graph.deleteRecord(node) }
        let missing = Set(idOfNode.keys).subtracting(records.keys)

        let sanitized = HNSWWriter.sanitize(&records, parameters: writer.store.hnswParameters)
        report.droppedLinks = sanitized.droppedLinks
        report.rewrittenRecords = sanitized.changed.count
        for node in sanitized.changed.sorted() {
            if let record = records[node] { try graph.write(record, for: node) }
        }

        try resetEntryPointIfWrong(records)

        for node in missing.sorted() {
            guard let id = idOfNode[node] else { continue }
            guard let (vector, norm) = try graph.vectorCopy(node) else {
                report.unrepairableIDs.append(id)
                continue
            }
            let level = writer.store.hnswParameters.level(forKey: id, seed: writer.store.schema.levelSeed)
            try vector.withUnsafeBytes { try graph.insert(node, vector: $0.baseAddress!, norm: norm, level: level) }
            report.relinkedIDs.append(id)
        }

        try reconnectUnreachable(idOfNode: idOfNode)
        for mismatch in try StoreCounters.mismatches(in: writer.txn, tables: writer.tables, dimension: writer.store.dimension) {
            try StoreCounters.correct(mismatch, in: writer.txn, tables: writer.tables)
            if !report.correctedCounters.contains(mismatch.key.rawValue) { report.correctedCounters.append(mismatch.key.rawValue) }
        }
        report.relinkedIDs.sort()
        report.unrepairableIDs.sort()
        report.reconnectedIDs.sort()
        return report
    }

    /// Every node an id maps to, with its id.
    private func liveNodes() throws -> [UInt32: UInt64] {
        var idOfNode: [UInt32: UInt64] = [:]
        try writer.txn.withCursor(on: writer.tables.keys) { cursor in
            try cursor.forEach { entry in
                if let id = UInt64(keyBytes: entry.key), let node = UInt32(keyBytes: entry.value) { idOfNode[node] = id }
                return true
            }
        }
        return idOfNode
    }

    /// Makes the level index match `records`, and the entry point a node of the highest level
    /// (one with an intact vector when there is one, since every insert starts from it).
    private mutating func resetEntryPointIfWrong(_ records: [UInt32: GraphRecord.Node]) throws {
        let graph = writer.indexWriter
        var indexed: [UInt32: Int] = [:]
        try writer.txn.withCursor(on: writer.tables.levels) { cursor in
            try cursor.forEach { entry in
                if let level = UInt32(keyBytes: entry.key), let node = UInt32(keyBytes: entry.value) { indexed[node] = Int(level) }
                return true
            }
        }
        let expected = records.filter { $0.value.level >= 1 }.mapValues(\.level)
        if indexed != expected {
            try graph.rebuildLevelIndex(records)
            report.resetEntryPoint = true
        }

        let maxLevel = records.values.map(\.level).max()
        let entry = try graph.entryPoint()
        if let maxLevel, let entry, records[entry.node]?.level == entry.level, entry.level == maxLevel,
           try graph.hasIntactVector(entry.node) {
            return
        }
        if maxLevel == nil && entry == nil { return }
        report.resetEntryPoint = true
        guard let maxLevel else {
            try writer.txn.delete(.graphEntry, in: writer.tables.meta)
            try writer.txn.delete(.graphMaxLevel, in: writer.tables.meta)
            return
        }
        let top = records.filter { $0.value.level == maxLevel }.keys.sorted()
        var chosen = top[0]
        for node in top where try graph.hasIntactVector(node) {
            chosen = node
            break
        }
        try graph.setEntry(chosen, level: maxLevel)
    }

    /// Gives every node the entry point cannot reach in-links from its nearest reachable
    /// neighbours. Each gets its own (not only the first of a cut-off group), so searches for it
    /// arrive from its own neighbourhood rather than through the rest of its group.
    private mutating func reconnectUnreachable(idOfNode: [UInt32: UInt64]) throws {
        // what every write transaction does at its end, with a walk of the whole layer deciding
        for node in try writer.indexWriter.keepReachable(walkingEverything: true) {
            if let id = idOfNode[node], !report.reconnectedIDs.contains(id) { report.reconnectedIDs.append(id) }
        }
    }
}
