import Foundation

/// Which rows of an import are committed when writing stopped partway: rows are written in
/// order, one transaction per batch, so the committed ones are always a prefix of the file.
struct ImportProgress {
    /// Rows committed (rows 0 ..< committedRows).
    var committedRows: Int
    /// Rows in the file.
    var totalRows: Int
    /// The ids of the committed rows when they are --first-id + row (nil when the file gives them).
    var committedIDs: ClosedRange<UInt64>?

    /// "rows 0…999 are committed (ids 0…999); rows 1000…1499 are not", or that no row was.
    var summary: String {
        guard committedRows > 0 else { return "no row was committed: the store is as it was" }
        let ids = committedIDs.map { "ids \($0.lowerBound)…\($0.upperBound)" } ?? "with the ids the file gives them"
        return "rows 0…\(committedRows - 1) are committed (\(ids)); rows \(committedRows)…\(totalRows - 1) are not"
    }
}

/// A write of `fmdb import` that failed after `committedRows` rows were committed.
struct ImportFailure: Error {
    var error: Error
    var committedRows: Int
    /// The row whose batch failed (the row itself when the store named it).
    var failedRow: Int
}

/// What `import --json` prints when writing stopped partway.
struct ImportFailureResult: Encodable {
    var error: String
    /// The row whose batch failed.
    var failedRow: Int
    /// Rows 0 ..< committedRows are in the store.
    var committedRows: Int
    var rows: Int
    /// The committed rows' ids when they are --first-id + row (absent when the file gives them).
    var firstCommittedID: UInt64?
    var lastCommittedID: UInt64?
    /// Whether the store this import created was removed again.
    var storeRemoved: Bool
}
