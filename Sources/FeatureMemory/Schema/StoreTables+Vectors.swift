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

/// What removing a node's vector record did (`StoreTables.deleteVectorRecord`).
struct VectorRecordRemoval {
    /// Bytes of the record removed (0: none, or one in a block that does not parse).
    var replacedBytes: Int
    /// Nodes that may go on the free list now.
    var reusableNodes: [UInt32]
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
                guard let first = VectorBlock.firstNode(ofKey: key, slots: slots),
                      VectorBlock.isWellFormed(entry.value, slots: slots, firstNode: first)
                else {
                    try malformed(MalformedVectorEntry(key: Array(entry.key), nodes: VectorBlock.nodes(ofKey: key, slots: slots)))
                    return true
                }
                return try VectorBlock.forEachRecord(in: entry.value, slots: slots, firstNode: first, body)
            }
        }
    }

    /// Stores `record` as `node`'s vector record and returns the size of the record it replaced
    /// (0: none). `replacing`: the node may have one; without it, `node` is a never-used node
    /// above every other, whose key may be appended. A damaged block throws `corruptRecord` and is
    /// left as it was.
    func putVectorRecord(_ record: UnsafeRawBufferPointer, ofNode node: UInt32, replacing: Bool, in txn: Transaction) throws -> Int {
        guard vectorSlots > 1 else {
            let replaced = replacing ? try withVectorRecord(ofNode: node, in: txn, \.count) ?? 0 : 0
            try node.withKeyBytes { try txn.put(record, forKey: $0, in: vectors, appending: !replacing) }
            return replaced
        }
        return try rewriteBlock(of: node, in: txn, appending: !replacing, with: record)
    }

    /// Removes `node`'s vector record: the size of the record it held (0: none, or unreadable) and
    /// the nodes that may be drawn again — `node` itself, except from a block that does not parse.
    func deleteVectorRecord(ofNode node: UInt32, in txn: Transaction) throws -> VectorRecordRemoval {
        guard vectorSlots > 1 else {
            let removed = try withVectorRecord(ofNode: node, in: txn, \.count) ?? 0
            try node.withKeyBytes { _ = try txn.delete($0, in: vectors) }
            return VectorRecordRemoval(replacedBytes: removed, reusableNodes: [node])
        }
        do {
            return VectorRecordRemoval(replacedBytes: try rewriteBlock(of: node, in: txn, appending: false, with: nil), reusableNodes: [node])
        } catch StoreError.corruptRecord {
            // the block does not parse (found before anything was written)
            return try leaveMalformedBlock(node, in: txn)
        }
    }

    /// Whether `node`'s key holds a block that does not parse (never with one record per key).
    func isInMalformedBlock(_ node: UInt32, in txn: Transaction) throws -> Bool {
        let slots = vectorSlots
        guard slots > 1 else { return false }
        let key = vectorKey(of: node)
        guard let first = VectorBlock.firstNode(ofKey: key, slots: slots) else { return false }
        let wellFormed = try key.withKeyBytes { keyBytes in
            try txn.withValue(in: vectors, forKey: keyBytes) { VectorBlock.isWellFormed($0, slots: slots, firstNode: first) }
        }
        return wellFormed == false
    }

    /// `node` leaves a block that does not parse. Its record cannot be taken out of the block, so
    /// the node is not drawn again while the block stays (a put into it would be refused); the
    /// block goes with the last live node of it, and then every node of it below `next_node` that
    /// is neither live nor free may be drawn again — the deleted ones and those a put skipped.
    private func leaveMalformedBlock(_ node: UInt32, in txn: Transaction) throws -> VectorRecordRemoval {
        let key = vectorKey(of: node)
        let nodes = VectorBlock.nodes(ofKey: key, slots: vectorSlots)
        for other in nodes where other != node {
            if try other.withKeyBytes({ try txn.contains($0, in: patterns) }) { return VectorRecordRemoval(replacedBytes: 0, reusableNodes: []) }
        }
        try key.withKeyBytes { _ = try txn.delete($0, in: vectors) }
        let next = try txn.integer(.nextNode, in: meta, as: UInt32.self) ?? 0
        var reusable: [UInt32] = []
        for other in nodes where other < next {
            if try other == node || !other.withKeyBytes({ try txn.contains($0, in: freeNodes) }) { reusable.append(other) }
        }
        return VectorRecordRemoval(replacedBytes: 0, reusableNodes: reusable)
    }

    /// Puts `record` (nil: none) in `node`'s slot of its block, removing a block left empty;
    /// returns the size of the record the slot held (0: none).
    private func rewriteBlock(of node: UInt32, in txn: Transaction, appending: Bool, with record: UnsafeRawBufferPointer?) throws -> Int {
        let slots = vectorSlots
        let key = vectorKey(of: node)
        let first = key * UInt32(slots)  // at most `node`: cannot overflow
        let slot = Int(node - first)
        return try key.withKeyBytes { keyBytes in
            var replaced = 0
            // the new block is made while the old one's bytes are valid, before anything is written
            let rewritten: [UInt8]?? = try txn.withValue(in: vectors, forKey: keyBytes) { old in
                guard VectorBlock.isWellFormed(old, slots: slots, firstNode: first) else { throw StoreError.corruptRecord(node: node) }
                replaced = (try? VectorBlock.record(in: old, slot: slot, slots: slots))??.count ?? 0
                return VectorBlock.replacing(slot: slot, with: record, in: old, slots: slots, firstNode: first)
            }
            switch rewritten {
            case .none:
                // no block yet: the first record of a block of never-used nodes may be appended
                if let block = VectorBlock.replacing(slot: slot, with: record, in: nil, slots: slots, firstNode: first) {
                    try block.withUnsafeBytes { try txn.put($0, forKey: keyBytes, in: vectors, appending: appending) }
                }
            case .some(let block?):
                try block.withUnsafeBytes { try txn.put($0, forKey: keyBytes, in: vectors) }
            case .some(nil):
                try txn.delete(keyBytes, in: vectors)
            }
            return replaced
        }
    }

    /// The most vector records the table can hold: its entries times the nodes per entry.
    func vectorRecordBound(in txn: Transaction) throws -> Int {
        let (bound, overflow) = try txn.statistics(of: vectors).entries.multipliedReportingOverflow(by: vectorSlots)
        return overflow ? Int.max : bound
    }
}
