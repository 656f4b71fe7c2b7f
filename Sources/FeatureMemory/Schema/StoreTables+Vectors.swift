/// A `vectors` entry that does not parse: a key of the wrong size, or a block whose header or
/// offsets are damaged, which makes the records of all its nodes unreadable.
struct MalformedVectorEntry {
    /// The entry's key, as stored.
    var key: [UInt8]
    /// The nodes whose records the entry should hold (none when the key itself is malformed).
    var nodes: [UInt32]

    /// The error a read that needs the entry throws.
    var error: StoreError {
        if let node = nodes.first { return .corruptRecord(node: node) }
        return .corruptEntry(table: "vectors", key: "\(key)")
    }
}

/// Vector records by node, whichever way the store keys them: one record per key (`vectorSlots`
/// 1, every store before format 6) or blocks of `vectorSlots` consecutive nodes (`VectorBlock`).
/// Every read and write of table `vectors` goes through here.
extension StoreTables {
    /// The key under which `node`'s record lies.
    @inline(__always)
    private func vectorKey(of node: UInt32) -> UInt32 {
        vectorSlots == 1 ? node : node / UInt32(vectorSlots)
    }

    /// Passes `node`'s vector record (in the map: valid until the transaction's next write) to
    /// `body`; nil when the node has none. A damaged block throws `corruptRecord`.
    @inline(__always)
    func withVectorRecord<R>(ofNode node: UInt32, in txn: Transaction, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        let slots = vectorSlots
        let found = try vectorKey(of: node).withKeyBytes { key in
            try txn.withValue(in: vectors, forKey: key) { value -> R? in
                if slots == 1 { return try body(value) }
                let record: UnsafeRawBufferPointer?
                do {
                    record = try VectorBlock.record(in: value, slot: Int(node % UInt32(slots)), slots: slots)
                } catch {
                    throw StoreError.corruptRecord(node: node)
                }
                guard let record else { return nil }
                return try body(record)
            }
        }
        return found ?? nil
    }

    /// Calls `body` with every vector record and its node, in node order, until it returns false.
    /// Entries that do not parse go to `malformed` (by default skipped).
    func forEachVectorRecord(
        in txn: Transaction, malformed: (MalformedVectorEntry) throws -> Void = { _ in },
        _ body: (UInt32, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let slots = vectorSlots
        try txn.withCursor(on: vectors) { cursor in
            try cursor.forEach { entry in
                guard let key = UInt32(keyBytes: entry.key) else {
                    try malformed(MalformedVectorEntry(key: Array(entry.key), nodes: []))
                    return true
                }
                if slots == 1 { return try body(key, entry.value) }
                let (first, overflow) = key.multipliedReportingOverflow(by: UInt32(slots))
                guard !overflow, VectorBlock.isWellFormed(entry.value, slots: slots, firstNode: first) else {
                    let nodes = overflow ? [] : (0..<slots).compactMap { first.addingReportingOverflow(UInt32($0)).partialValue }
                    try malformed(MalformedVectorEntry(key: Array(entry.key), nodes: nodes))
                    return true
                }
                return try VectorBlock.forEachRecord(in: entry.value, slots: slots, firstNode: first, body)
            }
        }
    }

    /// Stores `record` as `node`'s vector record. `appending`: `node` is above every node the
    /// table holds (a never-used one), so its key may be appended. A damaged block throws
    /// `corruptRecord` and is left as it was.
    func putVectorRecord(_ record: UnsafeRawBufferPointer, ofNode node: UInt32, appending: Bool, in txn: Transaction) throws {
        let key = vectorKey(of: node)
        guard vectorSlots > 1 else {
            try key.withKeyBytes { try txn.put(record, forKey: $0, in: vectors, appending: appending) }
            return
        }
        try rewriteBlock(key, of: node, in: txn, appending: appending) { old, first in
            VectorBlock.replacing(slot: Int(node - first), with: record, in: old, slots: vectorSlots, firstNode: first)
        }
    }

    /// Removes `node`'s vector record; returns whether there was one.
    @discardableResult
    func deleteVectorRecord(ofNode node: UInt32, in txn: Transaction) throws -> Bool {
        let key = vectorKey(of: node)
        guard vectorSlots > 1 else { return try key.withKeyBytes { try txn.delete($0, in: vectors) } }
        guard try withVectorRecord(ofNode: node, in: txn, { _ in true }) == true else { return false }
        try rewriteBlock(key, of: node, in: txn, appending: false) { old, first in
            VectorBlock.replacing(slot: Int(node - first), with: nil, in: old, slots: vectorSlots, firstNode: first)
        }
        return true
    }

    /// Replaces block `key` by what `change` makes of it (nil: remove it).
    private func rewriteBlock(
        _ key: UInt32, of node: UInt32, in txn: Transaction, appending: Bool,
        _ change: (UnsafeRawBufferPointer?, UInt32) -> [UInt8]?
    ) throws {
        let first = key * UInt32(vectorSlots)
        let slots = vectorSlots
        try key.withKeyBytes { keyBytes in
            enum Found { case none, rewritten([UInt8]?) }
            let found = try txn.withValue(in: vectors, forKey: keyBytes) { old -> Found in
                guard VectorBlock.isWellFormed(old, slots: slots, firstNode: first) else { throw StoreError.corruptRecord(node: node) }
                return .rewritten(change(old, first))
            } ?? Found.none
            switch found {
            case .none:
                // no block yet: the first record of a block of never-used nodes may be appended
                if let block = change(nil, first) {
                    try block.withUnsafeBytes { try txn.put($0, forKey: keyBytes, in: vectors, appending: appending) }
                }
            case .rewritten(let block?):
                try block.withUnsafeBytes { try txn.put($0, forKey: keyBytes, in: vectors) }
            case .rewritten(nil):
                try txn.delete(keyBytes, in: vectors)
            }
        }
    }

    /// The most vector records the table can hold: its entries times the nodes per entry.
    func vectorRecordBound(in txn: Transaction) throws -> Int {
        let (bound, overflow) = try txn.statistics(of: vectors).entries.multipliedReportingOverflow(by: vectorSlots)
        return overflow ? Int.max : bound
    }
}
