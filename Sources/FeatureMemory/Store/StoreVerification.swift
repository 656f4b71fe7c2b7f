/// One thing `verify` found wrong.
public struct VerificationProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What kind of damage it is.
    public enum Kind: String, Sendable, Codable {
        /// A vector record fails its checksum or layout check.
        case corruptVector = "corrupt_vector"
        /// A metadata record fails its checksum or layout check.
        case corruptMetadata = "corrupt_metadata"
        /// An id maps to a node without a vector or metadata record.
        case missingRecord = "missing_record"
        /// A record exists that no id maps to.
        case orphanRecord = "orphan_record"
        /// A table entry is malformed.
        case corruptEntry = "corrupt_entry"
        /// The label index disagrees with the metadata.
        case labelIndex = "label_index"
        /// A counter in `meta` disagrees with what the tables hold.
        case counter
    }

    /// What kind of damage it is.
    public var kind: Kind
    /// The internal node concerned, if any.
    public var node: UInt32?
    /// The external id concerned, if known.
    public var id: UInt64?
    /// What exactly is wrong.
    public var message: String

    /// One line naming the kind, the id or node, and the message.
    public var description: String {
        var where_ = ""
        if let id { where_ += " id \(id)" }
        if let node { where_ += " node \(node)" }
        return "\(kind.rawValue)\(where_): \(message)"
    }
}

/// What `verify` checked and found.
public struct VerificationReport: Sendable, Codable, Equatable {
    /// Vector records decoded and checked.
    public var vectorsChecked: Int
    /// Metadata records decoded and checked.
    public var metadataChecked: Int
    /// Everything found wrong; empty for a clean store.
    public var problems: [VerificationProblem]
    /// Whether nothing is wrong.
    public var isClean: Bool { problems.isEmpty }
}

extension FeatureStore {
    /// Decodes every record against its checksum and checks that ids, records, labels and
    /// counters agree, in one snapshot. Changes nothing.
    public func verify() throws -> VerificationReport {
        try read { reader in
            var verifier = StoreVerifier(reader: reader)
            return try verifier.run()
        }
    }
}

/// Walks every table of a snapshot and cross-checks them.
struct StoreVerifier {
    let reader: ReadTransaction
    private var problems: [VerificationProblem] = []

    init(reader: ReadTransaction) { self.reader = reader }

    mutating func run() throws -> VerificationReport {
        let txn = reader.txn
        let tables = reader.tables
        let codec = reader.codec
        var nodeOfID: [UInt64: UInt32] = [:]
        var idOfNode: [UInt32: UInt64] = [:]
        try txn.withCursor(on: tables.keys) { cursor in
            try cursor.forEach { entry in
                guard let id = UInt64(keyBytes: entry.key), let node = UInt32(keyBytes: entry.value) else {
                    problems.append(.init(kind: .corruptEntry, message: "malformed entry in table keys"))
                    return true
                }
                if let other = idOfNode[node] {
                    problems.append(.init(kind: .corruptEntry, node: node, id: id, message: "node also mapped from id \(other)"))
                }
                nodeOfID[id] = node
                idOfNode[node] = id
                return true
            }
        }

        var vectorsChecked = 0
        var rawBytes = 0
        var storedBytes = 0
        var vectorNodes = Set<UInt32>()
        try txn.withCursor(on: tables.vectors) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key) else {
                    problems.append(.init(kind: .corruptEntry, message: "malformed key in table vectors"))
                    return true
                }
                vectorNodes.insert(node)
                vectorsChecked += 1
                rawBytes += reader.store.dimension * 4
                storedBytes += max(entry.value.count - VectorRecord.headerSize, 0)
                do {
                    _ = try codec.decode(entry.value, node: node)
                } catch {
                    problems.append(.init(kind: .corruptVector, node: node, id: idOfNode[node], message: "\(error)"))
                }
                if idOfNode[node] == nil {
                    problems.append(.init(kind: .orphanRecord, node: node, message: "vector record without an id"))
                }
                return true
            }
        }

        var metadataChecked = 0
        var labelOfNode: [UInt32: String] = [:]
        var metadataNodes = Set<UInt32>()
        try txn.withCursor(on: tables.patterns) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key) else {
                    problems.append(.init(kind: .corruptEntry, message: "malformed key in table patterns"))
                    return true
                }
                metadataNodes.insert(node)
                metadataChecked += 1
                do {
                    let fields = try MetadataRecord.decode(entry.value, node: node)
                    if let label = fields.label { labelOfNode[node] = label }
                    if let id = idOfNode[node], id != fields.id {
                        problems.append(.init(kind: .corruptMetadata, node: node, id: id,
                                              message: "metadata names id \(fields.id)"))
                    }
                } catch {
                    problems.append(.init(kind: .corruptMetadata, node: node, id: idOfNode[node], message: "\(error)"))
                }
                if idOfNode[node] == nil {
                    problems.append(.init(kind: .orphanRecord, node: node, message: "metadata record without an id"))
                }
                return true
            }
        }

        for (node, id) in idOfNode.sorted(by: { $0.key < $1.key }) {
            if !vectorNodes.contains(node) {
                problems.append(.init(kind: .missingRecord, node: node, id: id, message: "no vector record"))
            }
            if !metadataNodes.contains(node) {
                problems.append(.init(kind: .missingRecord, node: node, id: id, message: "no metadata record"))
            }
        }

        var indexedLabels: [UInt32: String] = [:]
        try txn.withCursor(on: tables.labels) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.value),
                      let label = String(validating: entry.key, as: UTF8.self)
                else {
                    problems.append(.init(kind: .labelIndex, message: "malformed entry in table labels"))
                    return true
                }
                if labelOfNode[node] != label {
                    problems.append(.init(kind: .labelIndex, node: node, id: idOfNode[node],
                                          message: "indexed under \"\(label)\" but labelled \(labelOfNode[node].map { "\"\($0)\"" } ?? "nothing")"))
                }
                indexedLabels[node] = label
                return true
            }
        }
        for (node, label) in labelOfNode.sorted(by: { $0.key < $1.key }) where indexedLabels[node] != label {
            problems.append(.init(kind: .labelIndex, node: node, id: idOfNode[node],
                                  message: "label \"\(label)\" missing from the label index"))
        }

        try txn.withCursor(on: tables.freeNodes) { cursor in
            try cursor.forEach { entry in
                if let node = UInt32(keyBytes: entry.key), idOfNode[node] != nil {
                    problems.append(.init(kind: .corruptEntry, node: node, id: idOfNode[node],
                                          message: "node is live and on the free list"))
                }
                return true
            }
        }

        let meta = tables.meta
        let counters: [(MetaKey, Int)] = [
            (.count, idOfNode.count), (.rawVectorBytes, rawBytes), (.storedVectorBytes, storedBytes),
        ]
        for (key, actual) in counters {
            let stored = Int(try txn.integer(key, in: meta, as: UInt64.self) ?? 0)
            if stored != actual {
                problems.append(.init(kind: .counter, message: "\(key.rawValue) is \(stored); the tables hold \(actual)"))
            }
        }
        return VerificationReport(vectorsChecked: vectorsChecked, metadataChecked: metadataChecked, problems: problems)
    }
}
