/// The counters `meta` keeps of what the tables hold (vectors, their float32 bytes, their stored
/// payload bytes, the next node id), measured from the tables: what `verify` checks and `repair`
/// restores. Counters are read from the file, so any value may be there: none is converted with
/// a trapping conversion, and none sizes an allocation before it is checked against the tables.
enum StoreCounters {
    /// A counter whose stored value is not what the tables hold.
    struct Mismatch {
        var key: MetaKey
        var stored: UInt64
        var measured: Int
    }

    /// Every counter that disagrees with the tables of `txn`.
    static func mismatches(in txn: Transaction, tables: StoreTables, dimension: Int) throws -> [Mismatch] {
        var vectors = 0
        var storedBytes = 0
        var highestNode = -1
        try tables.forEachVectorRecord(in: txn, malformed: { entry in
            // a damaged block's nodes were drawn: the highest bounds next_node still
            if let last = entry.nodes.last { highestNode = max(highestNode, Int(last)) }
        }) { node, record in
            vectors += 1
            storedBytes += max(record.count - VectorRecord.headerSize, 0)
            highestNode = max(highestNode, Int(node))
            return true
        }
        // nodes are drawn in order and a deleted one goes to free_nodes, so the highest node of
        // the records and the free list is the last one drawn
        for table in [tables.freeNodes, tables.graph, tables.patterns] {
            try txn.withCursor(on: table) { cursor in
                if let last = try cursor.last(), let node = UInt32(keyBytes: last.key) { highestNode = max(highestNode, Int(node)) }
            }
        }
        let measured: [(MetaKey, Int)] = [
            (.count, try txn.statistics(of: tables.keys).entries),
            (.rawVectorBytes, vectors * dimension * 4),
            (.storedVectorBytes, storedBytes),
            (.nextNode, highestNode + 1),
        ]
        return try measured.compactMap { key, value in
            let stored = try storedValue(key, in: txn, tables: tables)
            return stored == UInt64(value) ? nil : Mismatch(key: key, stored: stored, measured: value)
        }
    }

    /// The counter `key` as stored, widened to 64 bits (0 when absent or malformed).
    static func storedValue(_ key: MetaKey, in txn: Transaction, tables: StoreTables) throws -> UInt64 {
        key == .nextNode
            ? UInt64(try txn.integer(key, in: tables.meta, as: UInt32.self) ?? 0)
            : try txn.integer(key, in: tables.meta, as: UInt64.self) ?? 0
    }

    /// Sets the counter of `mismatch` to what the tables hold, at the counter's own width.
    static func correct(_ mismatch: Mismatch, in txn: Transaction, tables: StoreTables) throws {
        if mismatch.key == .nextNode {
            try txn.setInteger(UInt32(clamping: mismatch.measured), for: .nextNode, in: tables.meta)
        } else {
            try txn.setInteger(UInt64(mismatch.measured), for: mismatch.key, in: tables.meta)
        }
    }

    /// The bound below which node ids lie, for sizing per-node arrays: `next_node`, checked
    /// against the tables (every node below it is live or on the free list, so it can exceed
    /// their entries by at most the one node a put has drawn but not yet written). A larger value
    /// is damage, which would otherwise size an allocation of gigabytes.
    static func nodeBound(in txn: Transaction, tables: StoreTables) throws -> Int {
        let stored = Int(try txn.integer(.nextNode, in: tables.meta, as: UInt32.self) ?? 0)
        let possible = try possibleNodes(in: txn, tables: tables)
        guard stored <= possible else {
            throw StoreError.damagedCounter(name: MetaKey.nextNode.rawValue, value: UInt64(stored), tablesHold: possible - 1)
        }
        return stored
    }

    /// `next_node`, but never more than the tables make possible: for sizing a cache at open,
    /// which must not fail on a counter `verify --repair` can restore.
    static func plausibleNodeBound(in txn: Transaction, tables: StoreTables) throws -> Int {
        let stored = Int(try txn.integer(.nextNode, in: tables.meta, as: UInt32.self) ?? 0)
        return min(stored, try possibleNodes(in: txn, tables: tables))
    }

    /// Live nodes, free nodes and the one a put may have drawn and not yet written.
    private static func possibleNodes(in txn: Transaction, tables: StoreTables) throws -> Int {
        let (sum, overflow) = try tables.vectorRecordBound(in: txn)
            .addingReportingOverflow(txn.statistics(of: tables.freeNodes).entries + 1)
        return overflow ? Int.max : sum
    }

    /// The counter `key`, clamped into `Int` (a damaged 2⁶⁴ − 1 reads as `Int.max`, not a trap).
    static func value(_ key: MetaKey, in txn: Transaction, tables: StoreTables) throws -> Int {
        Int(clamping: try storedValue(key, in: txn, tables: tables))
    }
}
