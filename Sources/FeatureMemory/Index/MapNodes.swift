/// Nodes read in place from the map of one transaction: vector records (raw ones without a copy)
/// and graph records. In a read transaction the snapshot's location table remembers where each
/// checked record lies, so later reads of the same snapshot, by any reader, skip the B-tree.
///
/// A class, not a struct: searches copy their source on calls (a non-mutating method of a stored
/// source), and a copy of these 312 bytes of fields, with a retain for each reference among them,
/// was a tenth of an insert's search; a copy is now one reference.
final class MapNodes: StoredVectorSource {
    let txn: Transaction
    let tables: StoreTables
    let dimension: Int
    let metric: Metric
    let codec: VectorCodec
    /// Where damaged records met by a search are noted.
    let scratch: SearchScratch
    /// Addresses of checked records in this snapshot; nil in write transactions (their own
    /// writes move pages).
    let locations: SnapshotLocations?
    let snapshot: UInt64

    init(
        txn: Transaction, tables: StoreTables, dimension: Int, metric: Metric, codec: VectorCodec,
        scratch: SearchScratch, locations: SnapshotLocations?
    ) {
        self.txn = txn
        self.tables = tables
        self.dimension = dimension
        self.metric = metric
        self.codec = codec
        self.scratch = scratch
        self.locations = txn.isReadOnly ? locations : nil
        snapshot = UInt64(txn.snapshotID)
    }

    static var isApproximate: Bool { false }

    func entryPoint() throws -> (node: UInt32, level: Int)? {
        if let locations {
            if let known = locations.entryPoint { return known }
            let entry = try entryPointFromMeta()
            locations.setEntryPoint(entry)
            return entry
        }
        return try entryPointFromMeta()
    }

    private func entryPointFromMeta() throws -> (node: UInt32, level: Int)? {
        guard let node = try txn.integer(.graphEntry, in: tables.meta, as: UInt32.self),
              let level = try txn.integer(.graphMaxLevel, in: tables.meta, as: UInt32.self)
        else { return nil }
        return (node, Int(level))
    }

    func nodeBound() throws -> Int {
        // a snapshot's location table is sized by its node bound
        if let locations { return locations.capacity }
        return try StoreCounters.nodeBound(in: txn, tables: tables)
    }

    // MARK: vectors

    /// Passes `node`'s vector (in place when stored raw) and norm to `body`; nil when the node has
    /// no vector. Records are checked against their checksum when first read in a snapshot;
    /// later reads of the same snapshot use the recorded, already checked address.
    @inline(__always)
    func withVector<R>(_ node: UInt32, _ body: (UnsafeRawPointer, Float) throws -> R) throws -> R? {
        if let locations, let record = locations.vectorRecord(node) {
            let norm = Float(bitPattern: UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            if record.load(fromByteOffset: 1, as: UInt8.self) == VectorRecord.Codec.raw.rawValue {
                return try body(record + VectorRecord.headerSize, norm)
            }
            return try body(codec.decodeChecked(record), norm)
        }
        let dimension = self.dimension, codec = self.codec, locations = self.locations
        return try tables.withVectorRecord(ofNode: node, in: txn) { record -> R in
            guard record.count >= VectorRecord.headerSize, record[0] == VectorRecord.layoutVersion,
                  record.littleEndian(at: 4, as: UInt32.self) == UInt32(dimension)
            else { throw StoreError.corruptRecord(node: node) }
            // the checksum is checked here, once per node per snapshot; the addresses recorded
            // for later searches of this snapshot are of checked records only
            let (values, norm) = try codec.decode(record, node: node)
            locations?.noteCheckedVectorRecord(node, record)
            return try body(values, norm)
        }
    }

    @inline(__always)
    func prefetch(_ node: UInt32) {
        locations?.prefetchVector(node)
    }

    // MARK: links

    @inline(__always)
    func links(of node: UInt32, layer: Int, into links: inout ContiguousArray<UInt32>) throws -> Bool {
        links.removeAll(keepingCapacity: true)
        if let locations {
            if layer == 0, let block = locations.layerZeroLinks(node) {
                GraphRecord.appendOutLinks(ofLayerAt: block, to: &links)
                return true
            }
            if layer > 0, let record = locations.graphRecord(node) {
                GraphRecord.appendOutLinks(of: record, layer: layer, to: &links)
                return true
            }
        }
        let locations = self.locations
        let found = try node.withKeyBytes { key in
            try txn.withValue(in: tables.graph, forKey: key) { record -> Bool in
                guard GraphRecord.isIntact(record) else { return false }
                locations?.noteIntactGraphRecord(node, record)
                GraphRecord.appendOutLinks(of: record, layer: layer, to: &links)
                return true
            }
        }
        guard let found else { return false }
        if !found { scratch.damaged.append(node) }
        return found
    }

    /// The decoded links of `node`, or nil when it has no record. A damaged record is an error.
    func decodedNode(_ node: UInt32) throws -> GraphRecord.Node? {
        try node.withKeyBytes { key in
            try txn.withValue(in: tables.graph, forKey: key) { record -> GraphRecord.Node in
                guard GraphRecord.isIntact(record) else { throw StoreError.corruptGraph(node: node) }
                return GraphRecord.decode(record)
            }
        }
    }
}

extension SearchScratch {
    /// The distance `compute` returns, or nil when the node is missing or its record damaged
    /// (then it is noted in `damaged`): a search skips such nodes and reports them. A NaN
    /// distance is +infinity: farther than any other.
    @inline(__always)
    func checkedDistance(to node: UInt32, _ compute: () throws -> Float?) throws -> Float? {
        let d: Float?
        do {
            d = try compute()
        } catch StoreError.corruptRecord {
            damaged.append(node)
            return nil
        }
        guard let d else { return nil }
        // every vector reaching a distance passed its checksum (the codec checks it on decode; the
        // location table and the writer's cache keep checked records only), so a NaN is the
        // arithmetic of finite values too large for float32 (cosine ∞/∞, inner product ∞ − ∞),
        // not damaged bits
        return d.isNaN ? .infinity : d
    }
}
