import Foundation

/// A consistent snapshot of a store, valid only inside `FeatureStore.read` (or `write`).
public class ReadTransaction {
    let store: FeatureStore
    let txn: Transaction
    private var pooledCodec: VectorCodec?
    private var pooledScratch: SearchScratch?
    private var isOpen = true

    init(store: FeatureStore, txn: Transaction) {
        self.store = store
        self.txn = txn
    }

    var tables: StoreTables { store.tables }

    /// The codec this transaction decodes with, taken from the store's pool on first use.
    var codec: VectorCodec {
        if let pooledCodec { return pooledCodec }
        let codec = store.codecs.take()
        pooledCodec = codec
        return codec
    }

    /// The search scratch of this transaction, taken from the store's pool on first use.
    var scratch: SearchScratch {
        if let pooledScratch { return pooledScratch }
        let scratch = store.scratches.take()
        pooledScratch = scratch
        return scratch
    }

    private var resolvedLocations = false
    private var snapshotLocations: SnapshotLocations?

    /// The location table of this snapshot (read-only transactions only).
    var locations: SnapshotLocations? {
        if resolvedLocations { return snapshotLocations }
        resolvedLocations = true
        snapshotLocations = store.locations.table(for: txn, in: tables, mapGeneration: store.environment.mapGeneration)
        return snapshotLocations
    }

    /// This transaction's map as a node source: records in place (through the snapshot's location
    /// table in read transactions).
    var mapNodes: MapNodes {
        MapNodes(
            txn: txn, tables: tables, dimension: store.dimension, metric: store.metric, codec: codec, scratch: scratch,
            locations: txn.isReadOnly ? locations : nil)
    }

    /// The `k` nearest nodes to `query` by HNSW search with `ef` candidates, read through the
    /// source this transaction reads nodes from: the node cache (read transactions of a store
    /// with one), or else the map; a write transaction overrides it to read its writer's nodes.
    func graphSearch(
        _ query: UnsafeRawPointer, norm: Float, count k: Int, ef: Int, accept: ((UInt32) -> Bool)? = nil
    ) throws -> [Candidate] {
        if let cache = store.nodeCache {
            let source = CachedNodes(map: mapNodes, cache: cache, collectsGraphPrefetch: store.prefetchOptions.graph)
            var search = HNSWSearch(source: source, scratch: scratch)
            return try search.search(query, norm: norm, count: k, ef: ef, accept: accept)
        }
        var search = HNSWSearch(source: mapNodes, scratch: scratch)
        return try search.search(query, norm: norm, count: k, ef: ef, accept: accept)
    }

    /// Ends the transaction's use: later calls throw instead of touching a dead LMDB handle.
    func finish() {
        isOpen = false
        if let pooledCodec { store.codecs.give(pooledCodec) }
        if let pooledScratch { store.scratches.give(pooledScratch) }
        pooledCodec = nil
        pooledScratch = nil
    }

    @inline(__always)
    func ensureOpen() throws(StoreError) {
        guard isOpen else { throw .invalidArgument("transaction used after its read or write block ended") }
    }

    /// The number of vectors in the snapshot. A function, as on `FeatureStore`: it reads the
    /// store and may fail.
    public func count() throws -> Int {
        try ensureOpen()
        // the keys table's own entry count, not the `count` counter a damaged file may hold anything in
        return try txn.statistics(of: tables.keys).entries
    }

    /// Whether a vector is stored under `id`.
    public func contains(_ id: UInt64) throws -> Bool {
        try ensureOpen()
        return try node(for: id) != nil
    }

    /// The vector, id and metadata stored under `id`; throws `StoreError.unknownID` when none.
    public func get(_ id: UInt64) throws -> StoredVector {
        try ensureOpen()
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        return try storedVector(node: node, id: id)
    }

    /// The vector stored under `id`; throws `StoreError.unknownID` when none.
    public func vector(for id: UInt64) throws -> [Float] {
        try ensureOpen()
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        return try vector(ofNode: node)
    }

    /// The metadata stored with `id`; throws `StoreError.unknownID` when none.
    public func metadata(for id: UInt64) throws -> VectorMetadata {
        try ensureOpen()
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        return try metadataFields(ofNode: node).metadata
    }

    /// Visits stored vectors in ascending id order from `startID` until `body` returns false.
    public func forEach(startingAt startID: UInt64 = 0, _ body: (StoredVector) throws -> Bool) throws {
        try ensureOpen()
        try txn.withCursor(on: tables.keys) { cursor in
            try startID.withKeyBytes { start in
                try cursor.forEach(from: start) { entry in
                    let (id, node) = try Self.decodeKeyEntry(entry)
                    return try body(storedVector(node: node, id: id))
                }
            }
        }
    }

    /// Up to `limit` ids in ascending order from `startID`.
    public func ids(startingAt startID: UInt64 = 0, limit: Int = .max) throws -> [UInt64] {
        try ensureOpen()
        var ids: [UInt64] = []
        guard limit > 0 else { return ids }
        try txn.withCursor(on: tables.keys) { cursor in
            try startID.withKeyBytes { start in
                try cursor.forEach(from: start) { entry in
                    ids.append(try Self.decodeKeyEntry(entry).id)
                    return ids.count < limit
                }
            }
        }
        return ids
    }

    /// The ids of every vector labelled `label`, ascending.
    public func ids(withLabel label: String) throws -> [UInt64] {
        try ensureOpen()
        try VectorValidation.validate(label: label)
        var ids: [UInt64] = []
        try forEachNode(withLabel: label) { node in ids.append(try externalID(ofNode: node)) }
        return ids.sorted()
    }

    /// The `count` stored vectors nearest to `query`, nearest first, found through the HNSW graph.
    /// `ef` (at least `count`; default max(64, count)) trades speed for recall: the number of
    /// candidates kept while searching. With a `filter`, only matching vectors are returned; a
    /// selective filter is answered by exhaustive search over its matches, so `count` results
    /// come back whenever that many match.
    public func nearest(to query: [Float], count k: Int, ef: Int? = nil, filter: SearchFilter? = nil) throws -> [SearchResult] {
        try ensureOpen()
        let queryNorm = try VectorValidation.validate(query, dimension: store.dimension, metric: store.metric)
        try VectorValidation.validate(count: k)
        let ef = max(ef ?? max(64, k), k)
        store.locationGate.pass()
        defer { store.locationGate.searchEnded() }
        let resultKey = filter == nil && txn.isReadOnly && store.resultCache != nil
            ? ResultCache<[SearchResult]>.Key(k: k, ef: ef, bits: query.map(\.bitPattern)) : nil
        if let resultKey, let cached = store.resultCache?.lookup(resultKey, snapshot: txn.snapshotID) { return cached }
        let started = DispatchTime.now().uptimeNanoseconds
        scratch.visitedNodes = 0
        defer { store.searchMetrics.record(nanoseconds: DispatchTime.now().uptimeNanoseconds &- started, visitedNodes: scratch.visitedNodes) }
        let found: [Candidate] = try query.withUnsafeBytes { queryBytes in
            let pointer = queryBytes.baseAddress!
            guard let filter else {
                let found = try graphSearch(pointer, norm: queryNorm, count: k, ef: ef)
                if txn.isReadOnly { prefetchAfterSearch(found) }
                return found
            }
            let matches = try nodes(matching: filter)
            let total = try count()
            // few matches: scoring them all is cheaper than walking the graph past the rest
            if matches.count <= max(k * 8, total / 20) {
                return try exactNearest(pointer, norm: queryNorm, count: k, among: matches)
            }
            let accepted = try graphSearch(pointer, norm: queryNorm, count: k, ef: ef) { matches.contains($0) }
            if accepted.count >= k { return accepted }
            return try exactNearest(pointer, norm: queryNorm, count: k, among: matches)
        }
        try noteDamaged()
        let answer = try results(found)
        if let resultKey, scratch.damaged.isEmpty, skippedDamagedIDs.isEmpty {
            store.resultCache?.insert(resultKey, snapshot: txn.snapshotID, results: answer)
        }
        return answer
    }

    /// Hands what the search learned to the prefetchers: the neighbours of nodes it had to read
    /// (graph-aware) and its region (predictive).
    private func prefetchAfterSearch(_ found: [Candidate]) {
        guard let prefetcher = store.prefetcher else { return }
        let scratch = self.scratch
        if !scratch.pendingPrefetch.isEmpty {
            // into a full cache, a guess would evict an entry searches use: graph-aware
            // prefetching fills an empty or growing cache only
            if store.nodeCache?.isFull == false {
                prefetcher.enqueue(.nodes(scratch.pendingPrefetch, withNeighbours: false, origin: .graph))
            }
            scratch.pendingPrefetch.removeAll(keepingCapacity: true)
        }
        if let predictor = store.predictor, let cache = store.nodeCache,
           let next = predictor.observe(region: scratch.lastRegion, results: found.prefix(8).map(\.node)) {
            // a region whose results are all cached is warm already: no wake-up for nothing
            let snapshot = UInt64(txn.snapshotID)
            if next.contains(where: { !cache.contains($0, snapshot: snapshot, countingUse: false) }) {
                prefetcher.enqueue(.nodes(next, withNeighbours: true, origin: .predictive))
            }
        }
    }

    /// Ids whose records failed their checks during this transaction's searches and were skipped
    /// (run `fmdb verify` to see them all; a repair or a new put fixes them).
    public private(set) var skippedDamagedIDs: [UInt64] = []

    private func noteDamaged() throws {
        let damaged = scratch.damaged
        guard !damaged.isEmpty else { return }
        for node in Set(damaged).sorted() {
            if let id = try? externalID(ofNode: node), !skippedDamagedIDs.contains(id) { skippedDamagedIDs.append(id) }
        }
        scratch.damaged.removeAll(keepingCapacity: true)
    }

    /// The `count` stored vectors nearest to `query`, nearest first, by exhaustive search: exact,
    /// and the reference approximate search is measured against.
    public func exactNearest(to query: [Float], count k: Int, filter: SearchFilter? = nil) throws -> [SearchResult] {
        try ensureOpen()
        let queryNorm = try VectorValidation.validate(query, dimension: store.dimension, metric: store.metric)
        try VectorValidation.validate(count: k)
        let found: [Candidate] = try query.withUnsafeBytes { queryBytes in
            let pointer = queryBytes.baseAddress!
            if let filter {
                return try exactNearest(pointer, norm: queryNorm, count: k, among: try nodes(matching: filter))
            }
            if let tree = try kdTree() { return tree.nearest(to: pointer.assumingMemoryBound(to: Float.self), count: k) }
            return try ExactSearch.nearest(
                to: pointer, norm: queryNorm, count: k, tables: tables, in: txn, codec: codec, metric: store.metric,
                dimension: store.dimension, damaged: &scratch.damaged)
        }
        try noteDamaged()
        return try results(found)
    }

    /// The KD-tree of this snapshot when the store is low-dimensional and large enough for it to
    /// beat the scan (see `KDTreeSlot`); nil otherwise, and always in a write transaction: its id
    /// is no committed snapshot (an abort hands it to the next write), and its tree would miss
    /// its own later changes.
    func kdTree() throws -> KDTree? {
        guard txn.isReadOnly, store.dimension <= KDTreeSlot.maximumDimension, store.metric != .innerProduct,
              try count() >= KDTreeSlot.minimumCount else { return nil }
        return try store.kdTrees.tree(snapshotID: txn.snapshotID) {
            var nodes: [UInt32] = []
            var vectors: [Float] = []
            let total = try count()
            nodes.reserveCapacity(total)
            vectors.reserveCapacity(total * store.dimension)
            let codec = self.codec
            let dimension = store.dimension
            try tables.forEachVectorRecord(in: txn, malformed: { throw $0.error }) { node, record in
                let (values, _) = try codec.decode(record, node: node)
                nodes.append(node)
                for i in 0..<dimension { vectors.append(values.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
                return true
            }
            return KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: store.metric)
        }
    }

    /// The internal nodes a filter admits.
    func nodes(matching filter: SearchFilter) throws -> Set<UInt32> {
        var nodes = Set<UInt32>()
        switch filter {
        case .label(let label):
            try VectorValidation.validate(label: label)
            try forEachNode(withLabel: label) { nodes.insert($0) }
        case .ids(let ids):
            for id in ids {
                if let node = try node(for: id) { nodes.insert(node) }
            }
        }
        return nodes
    }

    /// Exhaustive search over `nodes` only.
    private func exactNearest(_ query: UnsafeRawPointer, norm: Float, count k: Int, among nodes: Set<UInt32>) throws -> [Candidate] {
        let map = mapNodes
        var best = CandidateHeap(nearestFirst: false)
        for node in nodes {
            guard let d = try map.exactDistance(query, norm: norm, to: node) else { continue }
            best.offer(Candidate(distance: d, node: node), keeping: k)
        }
        return best.elements.sorted()
    }

    private func results(_ found: [Candidate]) throws -> [SearchResult] {
        try found.map { SearchResult(id: try externalID(ofNode: $0.node), distance: $0.distance) }
    }

    // MARK: internals shared with writes, search and verification

    /// The node holding `id`, or nil.
    func node(for id: UInt64) throws -> UInt32? {
        try id.withKeyBytes { key in
            try txn.withValue(in: tables.keys, forKey: key) { value -> UInt32 in
                guard let node = UInt32(keyBytes: value) else {
                    throw StoreError.corruptEntry(table: "keys", key: "\(id)")
                }
                return node
            }
        }
    }

    /// The external id of `node`, from its metadata record.
    func externalID(ofNode node: UInt32) throws -> UInt64 {
        if txn.isReadOnly, let cache = store.nodeCache, let id = cache.externalID(node, snapshot: UInt64(txn.snapshotID)) {
            return id
        }
        guard let id = try tables.externalID(ofNode: node, in: txn) else { throw StoreError.corruptRecord(node: node) }
        return id
    }

    /// The decoded metadata record of `node`.
    func metadataFields(ofNode node: UInt32) throws -> MetadataRecord.Fields {
        let fields = try node.withKeyBytes { key in
            try txn.withValue(in: tables.patterns, forKey: key) { try MetadataRecord.decode($0, node: node) }
        }
        guard let fields else { throw StoreError.corruptRecord(node: node) }
        return fields
    }

    /// The decoded vector of `node`.
    func vector(ofNode node: UInt32) throws -> [Float] {
        let vector = try tables.withVectorRecord(ofNode: node, in: txn) { try codec.decodeArray($0, node: node) }
        guard let vector else { throw StoreError.corruptRecord(node: node) }
        return vector
    }

    /// Calls `body` with each node labelled `label`.
    func forEachNode(withLabel label: String, _ body: (UInt32) throws -> Void) throws {
        try txn.withCursor(on: tables.labels) { cursor in
            try Array(label.utf8).withUnsafeBytes { key in
                try cursor.forEach(from: key) { entry in
                    guard entry.key.elementsEqual(key) else { return false }
                    guard let node = UInt32(keyBytes: entry.value) else {
                        throw StoreError.corruptEntry(table: "labels", key: label)
                    }
                    try body(node)
                    return true
                }
            }
        }
    }

    private func storedVector(node: UInt32, id: UInt64) throws -> StoredVector {
        let fields = try metadataFields(ofNode: node)
        guard fields.id == id else { throw StoreError.corruptRecord(node: node) }
        return StoredVector(id: id, vector: try vector(ofNode: node), metadata: fields.metadata)
    }

    /// Id and node of a `keys` entry.
    static func decodeKeyEntry(_ entry: Cursor.Entry) throws -> (id: UInt64, node: UInt32) {
        guard let id = UInt64(keyBytes: entry.key), let node = UInt32(keyBytes: entry.value) else {
            throw StoreError.corruptEntry(table: "keys", key: "\(Array(entry.key))")
        }
        return (id, node)
    }
}

extension MetadataRecord.Fields {
    /// The public view of the fields.
    var metadata: VectorMetadata {
        VectorMetadata(
            label: label, userData: userData, support: support, confidence: confidence,
            creationDate: Date(timeIntervalSince1970: created), modificationDate: Date(timeIntervalSince1970: updated))
    }
}
