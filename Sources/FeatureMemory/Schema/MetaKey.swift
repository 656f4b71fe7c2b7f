import Foundation

/// Names of the values in the `meta` table, and typed access to them.
enum MetaKey: String, CaseIterable {
    /// The store's format version (UInt32).
    case formatVersion = "format_version"
    /// Floats per vector (UInt32).
    case dimension
    /// `Metric.storedCode` (UInt8).
    case metric
    /// Creation time, seconds since 1970 (Float64 bits).
    case createdAt = "created_at"
    /// Live vectors (UInt64).
    case count
    /// The next never-used node id (UInt32).
    case nextNode = "next_node"
    /// Float32 bytes of all live vectors (UInt64).
    case rawVectorBytes = "raw_vector_bytes"
    /// Payload bytes of all live vector records as stored (UInt64).
    case storedVectorBytes = "stored_vector_bytes"
    /// `VectorEncoding.storedCode` (UInt8); absent in float32 stores.
    case vectorEncoding = "vector_encoding"
    /// Nodes whose vector records share one key of `vectors` (UInt16, 2…64); absent: one each.
    case vectorsPerBlock = "vectors_per_block"

    /// HNSW links per node in the upper layers (UInt32).
    case hnswM = "hnsw_m"
    /// HNSW candidates examined per insert (UInt32).
    case hnswEfConstruction = "hnsw_ef_construction"
    /// Seed of the level draw (UInt64).
    case hnswSeed = "hnsw_seed"
    /// The graph's entry node (UInt32); absent while the graph is empty.
    case graphEntry = "graph_entry"
    /// The entry node's level, the graph's highest (UInt32).
    case graphMaxLevel = "graph_max_level"
    /// The node ids the node cache held when the hot set was last saved (u32 each), for warm starts.
    case hotSet = "hot_set"
    /// The node cache's entries as saved by `FeatureStore.saveHotSet`, for a warm start of the same snapshot.
    case cacheImage = "cache_image"
    /// The node cache's statistics (JSON) when the hot set was last saved, for `fmdb stats`.
    case cacheStatistics = "cache_statistics"

    /// The format new stores are written in, and the newest this code reads. 3: graph records
    /// with 32-bit in-link counts; 4: vectors stored below float32 (`vector_encoding`); 5: graph
    /// records with ids of 2, 3 or 4 bytes (graph layout 2), which versions that know
    /// only 3 and 4 refuse as newer rather than read as damaged; 6: vector records in blocks
    /// of consecutive nodes where that saves space (`vectors_per_block`, `VectorBlock`).
    static let currentFormatVersion: UInt32 = 6
    /// The oldest format version this code reads.
    static let oldestReadableFormatVersion: UInt32 = 3
}

extension Transaction {
    /// Passes the bytes stored under `key` in `table` to `body`; nil when there are none.
    func withBytes<R>(of key: MetaKey, in table: Table, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try Array(key.rawValue.utf8).withUnsafeBytes { name in try withValue(in: table, forKey: name, body) }
    }

    /// Stores `bytes` under `key` in `table`.
    func setBytes(_ bytes: some ContiguousBytes, for key: MetaKey, in table: Table) throws {
        try Array(key.rawValue.utf8).withUnsafeBytes { name in
            try bytes.withUnsafeBytes { try put($0, forKey: name, in: table) }
        }
    }

    /// Removes `key` from `table`.
    func delete(_ key: MetaKey, in table: Table) throws {
        try Array(key.rawValue.utf8).withUnsafeBytes { _ = try delete($0, in: table) }
    }

    /// The integer stored under `key` in `table`, or nil.
    func integer<T: FixedWidthInteger>(_ key: MetaKey, in table: Table, as type: T.Type = T.self) throws -> T? {
        try withBytes(of: key, in: table) { bytes -> T? in
            bytes.count == MemoryLayout<T>.size ? bytes.littleEndian(at: 0, as: T.self) : nil
        } ?? nil
    }

    /// Stores `value` under `key` in `table`, little-endian.
    func setInteger<T: FixedWidthInteger>(_ value: T, for key: MetaKey, in table: Table) throws {
        try withUnsafeBytes(of: value.littleEndian) { try setBytes($0, for: key, in: table) }
    }

    /// Adds `delta` (which may be negative) to the counter `key`.
    func addToCounter(_ key: MetaKey, _ delta: Int, in table: Table) throws {
        guard delta != 0 else { return }
        let current = try integer(key, in: table, as: UInt64.self) ?? 0
        // a damaged counter may hold anything: saturate rather than trap (verify reports it)
        let (sum, overflow) = Int64(clamping: current).addingReportingOverflow(Int64(delta))
        let updated = overflow ? (delta > 0 ? Int64.max : 0) : sum
        try setInteger(UInt64(max(updated, 0)), for: key, in: table)
    }
}
