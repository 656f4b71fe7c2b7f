internal import CLMDB

/// A position in a table, valid inside one `Transaction.withCursor` scope.
/// Key and value bytes handed to callers live in the map until the next move.
struct Cursor {
    let pointer: OpaquePointer
    let table: Table
    /// The transaction the cursor belongs to, told when a write runs out of map space.
    let transaction: Transaction

    /// One key–value pair under the cursor.
    typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    /// The first pair at or after `key`, or the first of the table when `key` is nil.
    /// The corresponding LMDB call is `mdb_cursor_get` with `MDB_SET_RANGE` or `MDB_FIRST`.
    func seek(atOrAfter key: UnsafeRawBufferPointer?) throws(StoreError) -> Entry? {
        guard let key else { return try move(MDB_FIRST) }
        var keyVal = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var value = MDB_val()
        let code = mdb_cursor_get(pointer, &keyVal, &value, MDB_SET_RANGE)
        return try entry(code, keyVal, value)
    }

    /// The pair after the current one. The corresponding LMDB call is `mdb_cursor_get` with `MDB_NEXT`.
    func next() throws(StoreError) -> Entry? { try move(MDB_NEXT) }

    /// The first pair of the table.
    func first() throws(StoreError) -> Entry? { try move(MDB_FIRST) }

    /// The last pair of the table.
    func last() throws(StoreError) -> Entry? { try move(MDB_LAST) }

    /// Deletes the pair under the cursor. The corresponding LMDB call is `mdb_cursor_del`.
    func deleteCurrent() throws(StoreError) {
        let code = mdb_cursor_del(pointer, 0)
        if code == MDB_MAP_FULL { transaction.markRanOutOfMap() }
        try check(code, "mdb_cursor_del \(table.name)")
    }

    /// Visits every pair from `key` on (or from the first) until `body` returns false.
    func forEach(
        from key: UnsafeRawBufferPointer? = nil, _ body: (Entry) throws -> Bool
    ) throws {
        var current = try seek(atOrAfter: key)
        while let entry = current {
            guard try body(entry) else { return }
            current = try next()
        }
    }

    private func move(_ op: MDB_cursor_op) throws(StoreError) -> Entry? {
        var keyVal = MDB_val()
        var value = MDB_val()
        let code = mdb_cursor_get(pointer, &keyVal, &value, op)
        return try entry(code, keyVal, value)
    }

    private func entry(_ code: Int32, _ key: MDB_val, _ value: MDB_val) throws(StoreError) -> Entry? {
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get \(table.name)")
        return (UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }
}
