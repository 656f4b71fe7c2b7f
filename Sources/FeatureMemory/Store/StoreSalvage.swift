import Foundation

/// What `FeatureStore.salvage(from:to:)` recovered and what it lost.
public struct SalvageReport: Sendable, Codable, Equatable {
    /// Vectors written into the new store.
    public var recovered: Int
    /// Of those, vectors whose metadata (label, user data, support, confidence, times) came along.
    public var recoveredWithMetadata: Int
    /// Of those, vectors read from pages outside the readable trees (the key ranges of damaged
    /// subtrees), accepted because their checksums verify and, when the id index is intact, it
    /// maps their id to their node. Such a copy may be an older version of the record (an
    /// update since is lost with the damaged page).
    public var fromScannedPages: Int
    /// Ids known to the store (from its id index or metadata) whose vector could not be recovered.
    public var lostIDs: [UInt64]
    /// Ids recovered without their metadata (it was damaged or unreadable).
    public var metadataLostIDs: [UInt64]
    /// Intact vector records no id could be found for: left out.
    public var vectorsWithoutID: Int
    /// Vectors the store's `count` counter (when readable) says it held beyond those recovered and
    /// those lost by id: lost with their ids (the id index and metadata that named them are
    /// damaged too).
    public var lostWithoutID: Int
    /// Damaged vector or metadata records (checksum failures) among the readable pages.
    public var damagedRecords: Int
    /// The damage found in the file.
    public var damage: [PageDamage]
    /// The new store's dimension and metric.
    public var dimension: Int
    /// The new store's metric.
    public var metric: Metric

    // spelled so that snake_case JSON reads lost_ids, not lost_i_ds
    private enum CodingKeys: String, CodingKey {
        case recovered, recoveredWithMetadata, fromScannedPages, lostIDs = "lostIds", metadataLostIDs = "metadataLostIds"
        case vectorsWithoutID = "vectorsWithoutId", lostWithoutID = "lostWithoutId", damagedRecords, damage, dimension, metric
    }
}

extension FeatureStore {
    /// Copies every readable vector of the store in `source`, with its metadata, into a new store
    /// at `destination` and builds its graph, without reading `source` through LMDB (SQLite's
    /// `.recover` is the model). The trees are walked from the current meta page where they are
    /// readable; for a damaged subtree, the file's other pages are scanned for leaf pages whose
    /// records verify against their checksums and whose keys lie in the range the subtree
    /// covered (and, when the free list is readable, that are not free pages: stale copies of
    /// records live there). A record reachable from the current root always wins.
    ///
    /// `destination` must not exist or be an empty directory; on failure nothing is left there.
    /// `metric` is used only when the store's own cannot be read.
    public static func salvage(from source: URL, to destination: URL, metric fallbackMetric: Metric = .l2) throws -> SalvageReport {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
            let entries = isDirectory.boolValue ? (try? fileManager.contentsOfDirectory(atPath: destination.path)) : nil
            guard entries?.isEmpty == true else {
                throw StoreError.io(path: destination.path, reason: "exists and is not an empty directory; salvage writes a new store")
            }
        }
        let path = source.path + "/data.mdb"
        guard let file = try DataFile(path: path, eitherMeta: true) else {
            throw StoreError.damagedFile(path: path, page: 0, table: nil, reason: "neither meta page is valid: nothing can be salvaged")
        }
        var found = SalvagedRecords(file: file)
        found.read()
        var (items, report) = try found.assemble(fallbackMetric: fallbackMetric)

        // built beside the destination and renamed into place, so a failure leaves nothing there
        let staging = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).salvage-\(UUID().uuidString)")
        do {
            let refused = try writeStore(items, schema: found.schema(fallbackMetric: fallbackMetric, dimension: report.dimension), at: staging)
            if !refused.isEmpty {
                report.recovered -= refused.count
                report.recoveredWithMetadata -= items.filter { refused.contains($0.id) && $0.metadata != nil }.count
                report.fromScannedPages -= items.filter { refused.contains($0.id) && $0.scanned }.count
                report.metadataLostIDs.removeAll { refused.contains($0) }
                report.lostIDs = (report.lostIDs + refused).sorted()
                report.lostWithoutID = max(0, report.lostWithoutID - refused.count)
            }
            do {
                if fileManager.fileExists(atPath: destination.path) { try fileManager.removeItem(at: destination) }
                try fileManager.moveItem(at: staging, to: destination)
            } catch {
                // Foundation's error, as a StoreError like every other failure of a store call
                throw StoreError.io(path: destination.path, reason: "cannot move the salvaged store into place: \(error.localizedDescription)")
            }
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
        return report
    }

    /// Creates the store at `directory` and puts `items` in batches, metadata verbatim. Returns
    /// the ids the write path refused (a record that verifies but breaks its rules, such as a zero
    /// vector under cosine).
    private static func writeStore(
        _ items: [SalvagedRecords.Item], schema: (metric: Metric, encoding: VectorEncoding, hnsw: HNSWParameters, dimension: Int), at directory: URL
    ) throws -> Set<UInt64> {
        let store = try FeatureStore(at: directory, options: StoreOptions(
            dimension: schema.dimension, metric: schema.metric, encoding: schema.encoding, hnsw: schema.hnsw, durability: .noSync,
            createIfMissing: true, cacheBytes: 0))
        var refused = Set<UInt64>()
        for start in stride(from: 0, to: items.count, by: 1000) {
            let batch = items[start..<min(start + 1000, items.count)]
            let vectorItems = batch.map { VectorItem(id: $0.id, vector: $0.vector, label: $0.metadata?.label, userData: $0.metadata?.userData) }
            do {
                try store.put(vectorItems)
            } catch let error as StoreError {
                guard case .batchItem = error else { throw error }
                // one by one, to keep all but the refused
                for item in vectorItems {
                    do { try store.put([item]) } catch let error as StoreError {
                        guard case .batchItem = error else { throw error }
                        refused.insert(item.id)
                    }
                }
            }
            // support, confidence and times as they were: put sets them anew
            try store.write { writer in
                for item in batch where !refused.contains(item.id) {
                    if let fields = item.metadata { try writer.restoreMetadata(fields, for: item.id) }
                }
            }
        }
        try store.sync()
        return refused
    }
}

/// The records of a damaged store file, gathered page by page.
struct SalvagedRecords {
    /// One vector to write, with its metadata when that survived.
    struct Item {
        var id: UInt64
        var vector: [Float]
        var metadata: MetadataRecord.Fields?
        var scanned: Bool
    }

    /// A record and where it came from.
    private struct Found {
        var bytes: [UInt8]
        var reachable: Bool
        var onFreePage: Bool
    }

    let file: DataFile
    private var meta: [String: [UInt8]] = [:]
    private var nodeOfID: [UInt64: UInt32] = [:]
    /// Copies of each node's records, best first: reachable, then on a page in use, then free.
    private var vectors: [UInt32: [Found]] = [:]
    private var patterns: [UInt32: [Found]] = [:]
    private var damage: [PageDamage] = []
    /// Whether the whole id index was read: then it alone says which ids are live.
    private var keysIntact = false

    init(file: DataFile) { self.file = file }

    /// Walks the readable trees, then scans the other pages for the key ranges of damaged ones.
    mutating func read() {
        var collected: [(String, [UInt8], [UInt8])] = []
        var walk = PageWalk(file: file, depth: .everyPage)
        walk.visit = { table, key, value in
            if ["meta", "keys", "vectors", "patterns"].contains(table) { collected.append((table, key, value)) }
        }
        walk.run()
        damage = walk.damages
        keysIntact = walk.tables["keys"] != nil && !walk.damagedRanges.contains { $0.table == "keys" }
        if let invalid = file.invalidMeta {
            damage.insert(PageDamage(page: invalid, table: nil, reason: "meta page \(invalid) is not valid: read the snapshot of meta page \(1 - invalid) (transaction \(file.meta.transactionID)); the last commit is missing if the damaged page held it"), at: 0)
        }
        if (Int(clamping: file.lastPage) + 1) * file.pageSize > file.size && !file.missingPagesAreFree() {
            damage.insert(PageDamage(page: nil, table: nil, reason: "the file is truncated to \(file.size) bytes; pages up to \(file.lastPage) are in use"), at: 0)
        }
        for (table, key, value) in collected {
            switch table {
            case "meta": meta[String(decoding: key, as: UTF8.self)] = value
            case "keys":
                if key.count == 8, value.count == 4 { nodeOfID[Self.integer(key)] = UInt32(Self.integer(value)) }
            case "vectors":
                guard key.count == 4 else { continue }
                for (node, record) in Self.vectorRecords(key: UInt32(Self.integer(key)), value: value) {
                    vectors[node] = [Found(bytes: record, reachable: true, onFreePage: false)]
                }
            default:
                if key.count == 4 { patterns[UInt32(Self.integer(key))] = [Found(bytes: value, reachable: true, onFreePage: false)] }
            }
        }
        // a table the main tree no longer names lost its whole range
        var ranges = walk.damagedRanges
        for table in ["vectors", "patterns"] where walk.tables[table] == nil {
            ranges.append(PageWalk.DamagedRange(table: table))
        }
        let wanted = ranges.filter { $0.table == "vectors" || $0.table == "patterns" }
        guard !wanted.isEmpty else { return }
        for number in 2..<UInt64(walk.reached.count) where !walk.reached[Int(number)] {
            guard let entries = PageWalk.plainLeafEntries(number, file: file) else { continue }
            let onFreePage = walk.free[Int(number)]
            for (key, value) in entries where key.count == 4 {
                let node = UInt32(Self.integer(key))
                // both tables key by node: which one a record belongs to, its layout says (a
                // metadata record verifies here; a vector record when the dimension is known)
                let isMetadata = value.withUnsafeBytes { (try? MetadataRecord.decode($0, node: node)) != nil }
                let table = isMetadata ? "patterns" : "vectors"
                guard wanted.contains(where: { $0.table == table && Self.contains($0, node) }) else { continue }
                if isMetadata {
                    Self.offer(Found(bytes: value, reachable: false, onFreePage: onFreePage), for: node, in: &patterns)
                } else {
                    for (node, record) in Self.vectorRecords(key: node, value: value) {
                        Self.offer(Found(bytes: record, reachable: false, onFreePage: onFreePage), for: node, in: &vectors)
                    }
                }
            }
        }
    }

    /// Adds `candidate` to a node's copies, unless a reachable copy is held (the current root's
    /// record always wins); a copy on a page in use goes before one on a free page. The records'
    /// checksums decide later, in this order.
    private static func offer(_ candidate: Found, for node: UInt32, in records: inout [UInt32: [Found]]) {
        var copies = records[node] ?? []
        if copies.first?.reachable == true { return }
        if candidate.onFreePage {
            copies.append(candidate)
        } else {
            copies.insert(candidate, at: copies.firstIndex(where: \.onFreePage) ?? copies.endIndex)
        }
        records[node] = copies
    }

    /// The records of a `vectors` entry and their nodes: a block's (which says how many slots it
    /// has and whose they are, so `meta` is not needed), or the entry itself, one record keyed by
    /// its node.
    private static func vectorRecords(key: UInt32, value: [UInt8]) -> [(UInt32, [UInt8])] {
        value.withUnsafeBytes { bytes in
            guard let slots = VectorBlock.declaredSlots(bytes), let first = VectorBlock.firstNode(ofKey: key, slots: slots),
                  VectorBlock.isWellFormed(bytes, slots: slots, firstNode: first)
            else { return [(key, value)] }
            var records: [(UInt32, [UInt8])] = []
            VectorBlock.forEachRecord(in: bytes, slots: slots, firstNode: first) { node, record in
                records.append((node, Array(record)))
                return true
            }
            return records
        }
    }

    private static func contains(_ range: PageWalk.DamagedRange, _ node: UInt32) -> Bool {
        if let lower = range.lower, lower.count == 4, node < UInt32(integer(lower)) { return false }
        if let upper = range.upper, upper.count == 4, node >= UInt32(integer(upper)) { return false }
        return true
    }

    /// A little-endian (native) integer key of up to 8 bytes.
    private static func integer(_ bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private func metaInteger(_ key: MetaKey) -> UInt64? {
        guard let bytes = meta[key.rawValue], [1, 4, 8].contains(bytes.count) else { return nil }
        return Self.integer(bytes)
    }

    /// The schema of the new store: the old one's where `meta` is readable.
    func schema(fallbackMetric: Metric, dimension: Int) -> (metric: Metric, encoding: VectorEncoding, hnsw: HNSWParameters, dimension: Int) {
        let metric = metaInteger(.metric).flatMap { Metric(storedCode: UInt8(truncatingIfNeeded: $0)) } ?? fallbackMetric
        let encoding = metaInteger(.vectorEncoding).flatMap { VectorEncoding(storedCode: UInt8(truncatingIfNeeded: $0)) }
            ?? recordEncoding()
        var hnsw = HNSWParameters()
        if let m = metaInteger(.hnswM), let ef = metaInteger(.hnswEfConstruction) {
            let stored = HNSWParameters(m: Int(clamping: m), efConstruction: Int(clamping: ef))
            if (try? stored.validate()) != nil { hnsw = stored }
        }
        return (metric, encoding, hnsw, dimension)
    }

    /// The encoding most vector records found were written in (f32 when none says otherwise): a
    /// float32 store has no `vector_encoding`, so its absence in a damaged `meta` proves nothing.
    func recordEncoding() -> VectorEncoding {
        var votes: [VectorEncoding: Int] = [:]
        for found in vectors.values.joined() where found.bytes.count >= VectorRecord.headerSize {
            guard let codec = VectorRecord.Codec(rawValue: found.bytes[1]) else { continue }
            let encoding = VectorEncoding.allCases.first { $0.recordCodec == codec } ?? .f32
            votes[encoding, default: 0] += 1
        }
        return votes.max { ($0.value, $1.key.storedCode) < ($1.value, $0.key.storedCode) }?.key ?? .f32
    }

    /// The vectors that verify, paired with their ids and metadata, and the report.
    func assemble(fallbackMetric: Metric) throws -> ([Item], SalvageReport) {
        // the dimension: the store's own, or the one most intact-looking records carry
        var dimension = Int(clamping: metaInteger(.dimension) ?? 0)
        if !(1...StoreOptions.maximumDimension).contains(dimension) {
            var votes: [Int: Int] = [:]
            for found in vectors.values.joined() where found.bytes.count >= VectorRecord.headerSize {
                let count = found.bytes.withUnsafeBytes { Int($0.littleEndian(at: 4, as: UInt32.self)) }
                votes[count, default: 0] += 1
            }
            dimension = votes.filter { (1...StoreOptions.maximumDimension).contains($0.key) }.max { $0.value < $1.value }?.key ?? 0
        }
        guard dimension > 0 else {
            throw StoreError.damagedFile(path: file.path, page: nil, table: "vectors", reason: "no vector record could be read: nothing to salvage")
        }
        let codec = VectorCodec(dimension: dimension)
        var damagedRecords = 0
        var idOfNode: [UInt32: UInt64] = [:]
        for (id, node) in nodeOfID { idOfNode[node] = id }
        var fieldsOfNode: [UInt32: MetadataRecord.Fields] = [:]
        for (node, copies) in patterns {
            let decoded = copies.lazy.compactMap { found in try? found.bytes.withUnsafeBytes { try MetadataRecord.decode($0, node: node) } }.first
            if let decoded {
                fieldsOfNode[node] = decoded
            } else if copies.first?.reachable == true {
                damagedRecords += 1
            }
        }
        var knownIDs = Set(nodeOfID.keys)
        for fields in fieldsOfNode.values { knownIDs.insert(fields.id) }

        var items: [UInt64: Item] = [:]
        var reachableNodeOfID: [UInt64: Bool] = [:]
        var vectorsWithoutID = 0
        for (node, copies) in vectors.sorted(by: { $0.key < $1.key }) {
            let decoded = copies.lazy.compactMap { found in
                (try? found.bytes.withUnsafeBytes { try codec.decodeArray($0, node: node) }).map { (found, $0) }
            }.first
            guard let (found, vector) = decoded else {
                if copies.first?.reachable == true { damagedRecords += 1 }
                continue
            }
            // the id index and the metadata must agree where both are there
            let fields = fieldsOfNode[node]
            guard let id = fields?.id ?? idOfNode[node] else {
                vectorsWithoutID += 1
                continue
            }
            if let indexed = idOfNode[node], let fields, indexed != fields.id { continue }
            let consistent = nodeOfID[id] == node
            // a scanned copy of a deleted (or moved) id, from a free page, stays deleted when the
            // id index can say so
            if !found.reachable && keysIntact && !consistent { continue }
            if let held = reachableNodeOfID[id], held || !consistent { continue }
            reachableNodeOfID[id] = consistent
            items[id] = Item(id: id, vector: vector, metadata: fields, scanned: !found.reachable)
        }
        let sorted = items.values.sorted { $0.id < $1.id }
        let lostIDs = knownIDs.subtracting(items.keys).sorted()
        let counted = Int(clamping: metaInteger(.count) ?? 0)
        let report = SalvageReport(
            recovered: sorted.count, recoveredWithMetadata: sorted.filter { $0.metadata != nil }.count,
            fromScannedPages: sorted.filter(\.scanned).count,
            lostIDs: lostIDs,
            metadataLostIDs: sorted.filter { $0.metadata == nil }.map(\.id),
            vectorsWithoutID: vectorsWithoutID, lostWithoutID: max(0, counted - sorted.count - lostIDs.count), damagedRecords: damagedRecords, damage: damage,
            dimension: dimension, metric: schema(fallbackMetric: fallbackMetric, dimension: dimension).metric)
        return (sorted, report)
    }
}
