/// The tables of a store (see DESIGN.md, "On disk"), opened once per environment.
struct StoreTables: Sendable {
    /// Format version, dimension, metric, counters.
    let meta: Table
    /// External id (UInt64) → node id (UInt32), integer keys.
    let keys: Table
    /// Node id → vector record.
    let vectors: Table
    /// Node id → metadata record (external id, label, support, confidence, times, user data).
    let patterns: Table
    /// Label → node ids (sorted duplicates).
    let labels: Table
    /// Node ids freed by deletes, reused before new ones are drawn.
    let freeNodes: Table
    /// Node id → HNSW links (level, out- and in-links per layer).
    let graph: Table
    /// Level (UInt32, ≥ 1) → the nodes of that level, to replace a deleted entry point.
    let levels: Table
    /// Nodes per key of `vectors` (`StoreSchema.vectorSlots`): 1, or a block's slots.
    var vectorSlots = 1

    /// Opens every table, creating missing ones when `create` (inside a write transaction).
    /// Returns nil when a table is missing and `create` is false.
    static func open(in environment: Environment, txn: Transaction, create: Bool) throws(StoreError) -> StoreTables? {
        guard let meta = try environment.openTable("meta", create: create, in: txn),
              let keys = try environment.openTable("keys", kind: .integerKeys, create: create, in: txn),
              let vectors = try environment.openTable("vectors", kind: .integerKeys, create: create, in: txn),
              let patterns = try environment.openTable("patterns", kind: .integerKeys, create: create, in: txn),
              let labels = try environment.openTable("labels", kind: [.duplicateFixedValues, .integerValues], create: create, in: txn),
              let freeNodes = try environment.openTable("free_nodes", kind: .integerKeys, create: create, in: txn),
              let graph = try environment.openTable("graph", kind: .integerKeys, create: create, in: txn),
              let levels = try environment.openTable("levels", kind: [.duplicateFixedValues, .integerKeys, .integerValues], create: create, in: txn)
        else { return nil }
        return StoreTables(
            meta: meta, keys: keys, vectors: vectors, patterns: patterns, labels: labels, freeNodes: freeNodes,
            graph: graph, levels: levels)
    }

    /// All tables, for statistics.
    var all: [Table] { [meta, keys, vectors, patterns, labels, freeNodes, graph, levels] }

    /// The external id `node`'s metadata record names, read in `txn`; nil when it has none.
    /// A record too short or of another layout throws `corruptRecord`.
    func externalID(ofNode node: UInt32, in txn: Transaction) throws -> UInt64? {
        try node.withKeyBytes { key in
            try txn.withValue(in: patterns, forKey: key) { try MetadataRecord.id(of: $0, node: node) }
        }
    }
}
