/// What a store was created with, read from `meta` once at open.
struct StoreSchema: Sendable {
    var formatVersion: UInt32
    var dimension: Int
    var metric: Metric
    /// The precision vectors are stored in.
    var encoding: VectorEncoding
    var hnsw: HNSWParameters
    /// Seed of the level draw, fixed at creation.
    var levelSeed: UInt64
    /// Nodes whose vector records share a key (`VectorBlock`), fixed at creation; 1 before format 6.
    var vectorSlots = 1

    /// The schema in `meta`, or nil when a field is missing or invalid.
    static func read(from meta: Table, in txn: Transaction) throws -> StoreSchema? {
        guard let format = try txn.integer(.formatVersion, in: meta, as: UInt32.self),
              let dimension = try txn.integer(.dimension, in: meta, as: UInt32.self), dimension > 0,
              let code = try txn.integer(.metric, in: meta, as: UInt8.self), let metric = Metric(storedCode: code),
              let m = try txn.integer(.hnswM, in: meta, as: UInt32.self),
              let efConstruction = try txn.integer(.hnswEfConstruction, in: meta, as: UInt32.self),
              let seed = try txn.integer(.hnswSeed, in: meta, as: UInt64.self)
        else { return nil }
        let hnsw = HNSWParameters(m: Int(m), efConstruction: Int(efConstruction))
        guard hnsw.isReadable else { return nil }
        var encoding = VectorEncoding.f32
        if let code = try txn.integer(.vectorEncoding, in: meta, as: UInt8.self) {
            guard let stored = VectorEncoding(storedCode: code) else { return nil }
            encoding = stored
        }
        var slots = 1
        if let stored = try txn.integer(.vectorsPerBlock, in: meta, as: UInt16.self) {
            guard (2...VectorBlock.maximumSlots).contains(Int(stored)) else { return nil }
            slots = Int(stored)
        }
        return StoreSchema(
            formatVersion: format, dimension: Int(dimension), metric: metric, encoding: encoding, hnsw: hnsw, levelSeed: seed,
            vectorSlots: slots)
    }

    /// Writes the schema into `meta`.
    func write(to meta: Table, in txn: Transaction) throws {
        try txn.setInteger(formatVersion, for: .formatVersion, in: meta)
        try txn.setInteger(UInt32(dimension), for: .dimension, in: meta)
        try txn.setInteger(metric.storedCode, for: .metric, in: meta)
        if encoding != .f32 { try txn.setInteger(encoding.storedCode, for: .vectorEncoding, in: meta) }
        try txn.setInteger(UInt32(hnsw.m), for: .hnswM, in: meta)
        try txn.setInteger(UInt32(hnsw.efConstruction), for: .hnswEfConstruction, in: meta)
        try txn.setInteger(levelSeed, for: .hnswSeed, in: meta)
        if vectorSlots > 1 { try txn.setInteger(UInt16(vectorSlots), for: .vectorsPerBlock, in: meta) }
    }
}
