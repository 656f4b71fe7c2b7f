/// The counters `meta` keeps of what the tables hold (vectors, their float32 bytes, their stored
/// payload bytes), measured from the tables: what `verify` checks and `repair` restores.
enum StoreCounters {
    /// A counter whose stored value is not what the tables hold.
    struct Mismatch {
        var key: MetaKey
        var stored: Int
        var measured: Int
    }

    /// Every counter that disagrees with the tables of `txn`.
    static func mismatches(in txn: Transaction, tables: StoreTables, dimension: Int) throws -> [Mismatch] {
        var vectors = 0
        var storedBytes = 0
        try txn.withCursor(on: tables.vectors) { cursor in
            try cursor.forEach { entry in
                vectors += 1
                storedBytes += max(entry.value.count - VectorRecord.headerSize, 0)
                return true
            }
        }
        let measured: [(MetaKey, Int)] = [
            (.count, try txn.statistics(of: tables.keys).entries),
            (.rawVectorBytes, vectors * dimension * 4),
            (.storedVectorBytes, storedBytes),
        ]
        return try measured.compactMap { key, value in
            let stored = Int(try txn.integer(key, in: tables.meta, as: UInt64.self) ?? 0)
            return stored == value ? nil : Mismatch(key: key, stored: stored, measured: value)
        }
    }
}
