internal import CLMDB

/// An LMDB transaction, read-only or read-write, valid inside one `Environment.read`
/// or `Environment.write` scope. Not thread-safe: one thread uses it at a time.
final class Transaction {
    let pointer: OpaquePointer
    let isReadOnly: Bool
    /// Set when a write ran out of map space, so the environment grows the map and
    /// retries even if the body turned the error into another one.
    private(set) var ranOutOfMap = false

    init(pointer: OpaquePointer, isReadOnly: Bool) {
        self.pointer = pointer
        self.isReadOnly = isReadOnly
    }

    /// Passes the value stored under `key` to `body`, or returns nil when there is none.
    /// The bytes live in the map: valid until the transaction ends or the next write in it.
    /// The corresponding LMDB call is `mdb_get`.
    @inline(__always)
    func withValue<R>(
        in table: Table, forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var keyVal = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var value = MDB_val()
        let code = mdb_get(pointer, table.handle, &keyVal, &value)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_get \(table.name)")
        return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// Whether `key` has a value in `table`.
    func contains(_ key: UnsafeRawBufferPointer, in table: Table) throws(StoreError) -> Bool {
        var keyVal = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var value = MDB_val()
        let code = mdb_get(pointer, table.handle, &keyVal, &value)
        if code == MDB_NOTFOUND { return false }
        try check(code, "mdb_get \(table.name)")
        return true
    }

    /// Stores `value` under `key`, replacing what was there (for a duplicate table, adding it).
    /// With `appending`, a key above every other one is appended (`MDB_APPEND`), which fills
    /// pages instead of splitting them in half; other keys fall back to a plain put.
    /// The corresponding LMDB call is `mdb_put`.
    func put(
        _ value: UnsafeRawBufferPointer, forKey key: UnsafeRawBufferPointer, in table: Table, appending: Bool = false
    ) throws(StoreError) {
        var keyVal = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var valueVal = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        var code = appending && !table.allowsDuplicates
            ? mdb_put(pointer, table.handle, &keyVal, &valueVal, UInt32(MDB_APPEND)) : MDB_KEYEXIST
        if code == MDB_KEYEXIST {
            // not the last key (or not asked to append): an ordinary put
            code = mdb_put(pointer, table.handle, &keyVal, &valueVal, 0)
        }
        try noteMapFull(code)
        try check(code, "mdb_put \(table.name)")
    }

    /// Reserves `size` bytes under `key` and lets `body` write them in place, saving a copy.
    /// The corresponding LMDB call is `mdb_put` with `MDB_RESERVE`.
    func reserve(
        _ size: Int, forKey key: UnsafeRawBufferPointer, in table: Table,
        _ body: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        precondition(!table.allowsDuplicates, "MDB_RESERVE is not allowed on duplicate tables")
        var keyVal = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var valueVal = MDB_val(mv_size: size, mv_data: nil)
        let code = mdb_put(pointer, table.handle, &keyVal, &valueVal, UInt32(MDB_RESERVE))
        try noteMapFull(code)
        try check(code, "mdb_put \(table.name)")
        try body(UnsafeMutableRawBufferPointer(start: valueVal.mv_data, count: size))
    }

    /// Removes `key` (for a duplicate table with `value`, only that pair).
    /// Returns whether anything was removed. The corresponding LMDB call is `mdb_del`.
    @discardableResult
    func delete(
        _ key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer? = nil, in table: Table
    ) throws(StoreError) -> Bool {
        var keyVal = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let code: Int32
        if let value {
            var valueVal = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            code = mdb_del(pointer, table.handle, &keyVal, &valueVal)
        } else {
            code = mdb_del(pointer, table.handle, &keyVal, nil)
        }
        if code == MDB_NOTFOUND { return false }
        try noteMapFull(code)
        try check(code, "mdb_del \(table.name)")
        return true
    }

    /// Removes every entry of `table`, keeping the table. The corresponding LMDB call is `mdb_drop`.
    func removeAll(in table: Table) throws(StoreError) {
        try check(mdb_drop(pointer, table.handle, 0), "mdb_drop \(table.name)")
    }

    /// Page use of `table`. The corresponding LMDB call is `mdb_stat`.
    func statistics(of table: Table) throws(StoreError) -> TableStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(pointer, table.handle, &stat), "mdb_stat \(table.name)")
        // counters from the file (size_t, imported as Int: 2^64 - 1 reads as -1); the page walk
        // checks them where it reads every page, and nothing here may trap where it did not
        let (branch, leaf, overflow) = (max(stat.ms_branch_pages, 0), max(stat.ms_leaf_pages, 0), max(stat.ms_overflow_pages, 0))
        func saturating(_ sum: (partialValue: Int, overflow: Bool)) -> Int { sum.overflow ? Int.max : sum.partialValue }
        let pages = saturating(saturating(branch.addingReportingOverflow(leaf)).addingReportingOverflow(overflow))
        let (bytes, overflowed) = pages.multipliedReportingOverflow(by: Int(stat.ms_psize))
        return TableStatistics(
            name: table.name.description, entries: max(stat.ms_entries, 0), depth: Int(stat.ms_depth),
            branchPages: branch, leafPages: leaf, overflowPages: overflow, bytes: overflowed ? Int.max : bytes)
    }

    /// Opens a cursor on `table` for the duration of `body`.
    func withCursor<R>(on table: Table, _ body: (Cursor) throws -> R) throws -> R {
        var cursorPointer: OpaquePointer?
        try check(mdb_cursor_open(pointer, table.handle, &cursorPointer), "mdb_cursor_open \(table.name)")
        guard let cursorPointer else { throw StoreError.storage(.invalid, operation: "mdb_cursor_open \(table.name)") }
        defer { mdb_cursor_close(cursorPointer) }
        return try body(Cursor(pointer: cursorPointer, table: table, transaction: self))
    }

    /// The identifier of the snapshot this transaction sees. The corresponding LMDB call is `mdb_txn_id`.
    var snapshotID: Int { Int(mdb_txn_id(pointer)) }

    private func noteMapFull(_ code: Int32) throws(StoreError) {
        if code == MDB_MAP_FULL { ranOutOfMap = true }
    }

    /// Marks the transaction as having run out of map space (commit failed with `MDB_MAP_FULL`).
    func markRanOutOfMap() { ranOutOfMap = true }
}
