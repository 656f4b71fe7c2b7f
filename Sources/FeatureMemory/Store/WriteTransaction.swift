import Foundation

/// A write transaction: reads see its own changes; everything commits together when the
/// `FeatureStore.write` block returns, or nothing does when it throws.
///
/// Its calls run inside that block, which runs again from the start when the map has to grow
/// (see `FeatureStore.write(_:)`): each run begins at the last commit, so the calls of a
/// rolled-back run leave nothing behind. A write of the store itself inside the block (rather
/// than through this transaction) throws `StoreError.nestedWrite`.
public final class WriteTransaction: ReadTransaction {
    private var builtIndexWriter: HNSWWriter?

    /// The HNSW graph as this transaction changes it.
    var indexWriter: HNSWWriter {
        if let builtIndexWriter { return builtIndexWriter }
        let writer = HNSWWriter(map: mapNodes, parameters: store.hnswParameters, cache: store.writerCache,
                                 observer: store.nodeCache, graphLayout: GraphRecord.layout(forStoreFormat: store.formatVersion),
                                 reachability: store.reachability)
        builtIndexWriter = writer
        return writer
    }

    /// Searches the graph as this transaction has it so far, through the writer's nodes.
    override func graphSearch(
        _ query: UnsafeRawPointer, norm: Float, count k: Int, ef: Int, accept: ((UInt32) -> Bool)? = nil
    ) throws -> [Candidate] {
        var search = indexWriter.searcher
        return try search.search(query, norm: norm, count: k, ef: ef, accept: accept)
    }

    /// Before the commit: every node the transaction's graph changes may have cut off is made
    /// reachable again (nothing to do when the graph was not written).
    func keepGraphReachable() throws {
        try builtIndexWriter?.keepReachable()
    }

    override func finish() {
        builtIndexWriter = nil
        super.finish()
    }

    /// Stores `vector` under `id` with its label and user data, replacing whatever `id` held
    /// (support, confidence and creation time of an existing id are kept).
    public func put(_ vector: [Float], for id: UInt64, label: String? = nil, userData: Data? = nil) throws {
        var peers: [UInt32] = []
        try put(vector, for: id, label: label, userData: userData, planned: nil, peers: &peers)
    }

    /// `put`, linking the node as `planned` says (a plan made before this transaction from the
    /// last committed snapshot and the items before it in the batch, see `FeatureStore.put(_:)`)
    /// instead of by a graph search; `peers` holds the nodes of the batch's earlier items, and
    /// this item's node is appended.
    func put(
        _ vector: [Float], for id: UInt64, label: String?, userData: Data?,
        planned: (plan: BatchLinkPlan, stored: StoredForm)?, peers: inout [UInt32]
    ) throws {
        try ensureOpen()
        let stored = try planned?.stored ?? codec.storedForm(of: vector, metric: store.metric)
        try VectorValidation.validate(label: label)
        try VectorValidation.validate(userData: userData)
        let now = Date().timeIntervalSince1970
        let userData = userData?.isEmpty == true ? nil : userData
        var existing = try node(for: id)
        if let node = existing, try tables.isInMalformedBlock(node, in: txn) {
            // its vector lies in a block that does not parse, where nothing can be written: the id
            // is put again as a new one (the advice of `repair` for a damaged vector)
            try delete(id)
            existing = nil
        }
        if let node = existing {
            // a damaged metadata record is replaced whole, so a put is also its repair
            var fields = try metadataFieldsForRewrite(ofNode: node, id: id, now: now)
            try indexWriter.remove(node)
            try writeVector(stored, node: node, replacing: true)
            try index(node, vector: stored.values, norm: stored.norm, id: id, plan: planned?.plan, peers: &peers)
            try relabel(node: node, from: fields.label, to: label)
            fields.label = label
            fields.userData = userData
            fields.updated = now
            try writeMetadata(fields, node: node)
        } else {
            let node = try allocateNode()
            try node.withKeyBytes { value in
                try id.withKeyBytes { key in try txn.put(value, forKey: key, in: tables.keys, appending: true) }
            }
            try writeVector(stored, node: node, replacing: false)
            try index(node, vector: stored.values, norm: stored.norm, id: id, plan: planned?.plan, peers: &peers)
            try relabel(node: node, from: nil, to: label)
            try writeMetadata(
                .init(id: id, label: label, userData: userData, support: 1, confidence: 1, created: now, updated: now),
                node: node, isNew: true)
            try txn.addToCounter(.count, 1, in: tables.meta)
        }
    }

    /// Stores `item`, as `put(_:for:label:userData:)`.
    public func put(_ item: VectorItem) throws {
        try put(item.vector, for: item.id, label: item.label, userData: item.userData)
    }

    /// Replaces the vector of an existing `id`, keeping its metadata; throws `unknownID` when none.
    public func update(_ id: UInt64, vector: [Float]) throws {
        try ensureOpen()
        let stored = try codec.storedForm(of: vector, metric: store.metric)
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        var fields = try metadataFields(ofNode: node)
        try indexWriter.remove(node)
        try writeVector(stored, node: node, replacing: true)
        var peers: [UInt32] = []
        try index(node, vector: stored.values, norm: stored.norm, id: id, plan: nil, peers: &peers)
        fields.updated = Date().timeIntervalSince1970
        try writeMetadata(fields, node: node)
    }

    /// Sets or (with nil) removes the label of an existing `id`.
    public func setLabel(_ label: String?, for id: UInt64) throws {
        try ensureOpen()
        try VectorValidation.validate(label: label)
        try changeMetadata(of: id) { fields in
            try relabel(node: fields.node, from: fields.fields.label, to: label)
            fields.fields.label = label
        }
    }

    /// Sets or (with nil) removes the user data of an existing `id`.
    public func setUserData(_ userData: Data?, for id: UInt64) throws {
        try ensureOpen()
        try VectorValidation.validate(userData: userData)
        try changeMetadata(of: id) { $0.fields.userData = userData?.isEmpty == true ? nil : userData }
    }

    /// Sets the support count and confidence of an existing `id` (used by pattern learning).
    public func setSupport(_ support: UInt32, confidence: Float, for id: UInt64) throws {
        try ensureOpen()
        guard confidence.isFinite, (0...1).contains(confidence) else {
            throw StoreError.invalidArgument("confidence must be within 0…1, got \(confidence)")
        }
        try changeMetadata(of: id) {
            $0.fields.support = support
            $0.fields.confidence = confidence
        }
    }

    /// Removes `id` and everything stored with it; throws `unknownID` when none.
    public func delete(_ id: UInt64) throws {
        try ensureOpen()
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        // a damaged metadata record must not make its id undeletable
        let fields = try metadataFieldsForRewrite(ofNode: node, id: id, now: Date().timeIntervalSince1970)
        try indexWriter.remove(node)
        store.writerCache.removeVector(node)
        indexWriter.noteChanged(node)
        try id.withKeyBytes { key in _ = try txn.delete(key, in: tables.keys) }
        // a vector in a block that does not parse is removed too (the advice of `repair`), but the
        // node is not drawn again while the block stays
        let removal = try tables.deleteVectorRecord(ofNode: node, in: txn)
        try node.withKeyBytes { key in _ = try txn.delete(key, in: tables.patterns) }
        for reusable in removal.reusableNodes {
            try reusable.withKeyBytes { key in try txn.put(UnsafeRawBufferPointer(start: nil, count: 0), forKey: key, in: tables.freeNodes) }
        }
        try relabel(node: node, from: fields.label, to: nil)
        try txn.addToCounter(.count, -1, in: tables.meta)
        try txn.addToCounter(.rawVectorBytes, -store.dimension * 4, in: tables.meta)
        try txn.addToCounter(.storedVectorBytes, -Self.payloadSize(ofRecord: removal.replacedBytes), in: tables.meta)
    }

    // MARK: internals

    /// The metadata of `node` for a rewrite or a delete. When the record is damaged, the label
    /// index entries of the node are found by a scan and removed, and fresh fields are returned.
    private func metadataFieldsForRewrite(ofNode node: UInt32, id: UInt64, now: Double) throws -> MetadataRecord.Fields {
        do {
            return try metadataFields(ofNode: node)
        } catch StoreError.corruptRecord {
            try removeLabelEntries(ofNode: node)
            return MetadataRecord.Fields(id: id, label: nil, userData: nil, support: 1, confidence: 1, created: now, updated: now)
        }
    }

    /// Removes every label index entry that names `node`.
    private func removeLabelEntries(ofNode node: UInt32) throws {
        var labels: [[UInt8]] = []
        try txn.withCursor(on: tables.labels) { cursor in
            try cursor.forEach { entry in
                if UInt32(keyBytes: entry.value) == node { labels.append(Array(entry.key)) }
                return true
            }
        }
        try node.withKeyBytes { value in
            for label in labels {
                try label.withUnsafeBytes { _ = try txn.delete($0, value: value, in: tables.labels) }
            }
        }
    }

    /// Links `node` into the graph, as `plan` says when there is one; its level is drawn from the
    /// external id, so re-inserting an id (an update) puts it back on the same level.
    private func index(_ node: UInt32, vector: [Float], norm: Float, id: UInt64, plan: BatchLinkPlan?, peers: inout [UInt32]) throws {
        let level = store.hnswParameters.level(forKey: id, seed: store.schema.levelSeed)
        let graph = indexWriter
        try vector.withUnsafeBytes { bytes in
            let query = bytes.baseAddress!
            // a plan whose pool is empty has nothing to link from (the only candidate was this
            // node's old self): a graph search finds what this transaction holds
            if let plan, plan.pools.count == level + 1, let resolved = plan.resolved(peerNodes: peers), !resolved.pools[0].isEmpty {
                try graph.connect(node, vector: query, norm: norm, level: level, pools: resolved.pools, planned: resolved.chosen)
            } else {
                try graph.insert(node, vector: query, norm: norm, level: level)
            }
        }
        peers.append(node)
    }

    private struct NodeFields {
        var node: UInt32
        var fields: MetadataRecord.Fields
    }

    private func changeMetadata(of id: UInt64, _ change: (inout NodeFields) throws -> Void) throws {
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        var current = NodeFields(node: node, fields: try metadataFields(ofNode: node))
        try change(&current)
        current.fields.updated = Date().timeIntervalSince1970
        try writeMetadata(current.fields, node: node)
    }

    /// A node id for a new vector: a freed one when there is one, else a never-used one. A node
    /// whose vector block does not parse is passed over (a put into it would be refused, and the
    /// store could take no new id): a free one leaves the free list until its block goes (see
    /// `StoreTables.deleteVectorRecord`), never-used ones are skipped to the next block.
    private func allocateNode() throws -> UInt32 {
        while true {
            let reused = try txn.withCursor(on: tables.freeNodes) { cursor -> UInt32? in
                guard let entry = try cursor.first() else { return nil }
                guard let node = UInt32(keyBytes: entry.key) else {
                    throw StoreError.corruptEntry(table: "free_nodes", key: "\(Array(entry.key))")
                }
                try cursor.deleteCurrent()
                return node
            }
            if let reused {
                if try tables.isInMalformedBlock(reused, in: txn) { continue }
                return reused
            }
            let next = try txn.integer(.nextNode, in: tables.meta, as: UInt32.self) ?? 0
            guard next < UInt32.max else { throw StoreError.invalidArgument("the store holds the most vectors it can (2³² − 1)") }
            if try tables.isInMalformedBlock(next, in: txn) {
                let slots = UInt32(tables.vectorSlots)
                let (following, overflow) = (next / slots + 1).multipliedReportingOverflow(by: slots)
                guard !overflow, following < UInt32.max else {
                    throw StoreError.invalidArgument("the store holds the most vectors it can (2³² − 1)")
                }
                try txn.setInteger(following, for: .nextNode, in: tables.meta)
                continue
            }
            try txn.setInteger(next + 1, for: .nextNode, in: tables.meta)
            return next
        }
    }

    private func writeVector(_ stored: StoredForm, node: UInt32, replacing: Bool) throws {
        let oldRecord = try stored.record.withUnsafeBytes { try tables.putVectorRecord($0, ofNode: node, replacing: replacing, in: txn) }
        stored.values.withUnsafeBytes { store.writerCache.setVector(node, $0.baseAddress!, norm: stored.norm) }
        indexWriter.noteChanged(node)
        let newPayload = stored.record.count - VectorRecord.headerSize
        if !replacing { try txn.addToCounter(.rawVectorBytes, store.dimension * 4, in: tables.meta) }
        try txn.addToCounter(.storedVectorBytes, newPayload - Self.payloadSize(ofRecord: oldRecord), in: tables.meta)
    }

    /// The payload bytes of a record of `size` bytes (0 for none), as `stored_vector_bytes` counts them.
    private static func payloadSize(ofRecord size: Int) -> Int {
        max(size - VectorRecord.headerSize, 0)
    }

    private func writeMetadata(_ fields: MetadataRecord.Fields, node: UInt32, isNew: Bool = false) throws {
        let record = MetadataRecord.encode(fields)
        try node.withKeyBytes { key in
            try record.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.patterns, appending: isNew) }
        }
    }

    private func relabel(node: UInt32, from old: String?, to new: String?) throws {
        guard old != new else { return }
        try node.withKeyBytes { value in
            if let old {
                try Array(old.utf8).withUnsafeBytes { _ = try txn.delete($0, value: value, in: tables.labels) }
            }
            if let new {
                try Array(new.utf8).withUnsafeBytes { try txn.put(value, forKey: $0, in: tables.labels) }
            }
        }
    }
}
