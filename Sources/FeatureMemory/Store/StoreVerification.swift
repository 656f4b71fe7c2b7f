import Foundation

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
        /// A graph record fails its checksum or layout check, or is missing.
        case corruptGraph = "corrupt_graph"
        /// A link names a node that does not exist or is not in that layer.
        case danglingLink = "dangling_link"
        /// A node has more links in a layer than the graph allows.
        case degree
        /// An out-link without the matching in-link, or the reverse.
        case linkMismatch = "link_mismatch"
        /// The entry point, the level index or a node's level disagree.
        case level
        /// A node cannot be reached from the entry point.
        case unreachable
        /// A page of the file is damaged (or the file is truncated): LMDB cannot read what it holds.
        case damagedPage = "damaged_page"
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
    /// Graph records decoded and checked.
    public var graphNodesChecked: Int
    /// Everything found wrong; empty for a clean store.
    public var problems: [VerificationProblem]
    /// Whether nothing is wrong.
    public var isClean: Bool { problems.isEmpty }
}

extension FeatureStore {
    /// Decodes every record against its checksum and checks that ids, records, labels and
    /// counters agree, in one snapshot. Changes nothing.
    public func verify() throws -> VerificationReport {
        // the pages first: reading a damaged page through LMDB faults instead of failing
        let damage = try DataFile.damage(atPath: directory.path + "/data.mdb", depth: .everyPage)
        if !damage.isEmpty { return Self.report(damage) }
        return try read { reader in
            var verifier = StoreVerifier(reader: reader)
            return try verifier.run()
        }
    }
}

extension FeatureStore {
    /// Checks every page of the store file in `directory` without opening it through LMDB: for a
    /// store whose opening fails with `StoreError.damagedFile`. A clean report means no page
    /// damage was found (the records are checked by `verify()` on an opened store).
    public static func verifyFile(at directory: URL) throws -> VerificationReport {
        report(try DataFile.damage(atPath: directory.path + "/data.mdb", depth: .everyPage))
    }

    /// Reads and checks the pages of the store file in `directory` as an opening does, without
    /// LMDB: every page of every tree, or (`everyPage: false`) the main tree and every table's
    /// branch pages, which is what an opening reads above 1 GiB in use.
    public static func checkPages(at directory: URL, everyPage: Bool) throws -> [PageDamage] {
        try DataFile.damage(atPath: directory.path + "/data.mdb", depth: everyPage ? .everyPage : .branchPages)
    }

    private static func report(_ damage: [PageDamage]) -> VerificationReport {
        VerificationReport(
            vectorsChecked: 0, metadataChecked: 0, graphNodesChecked: 0,
            problems: damage.map { VerificationProblem(kind: .damagedPage, message: $0.description) })
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
        var vectorNodes = Set<UInt32>()
        try tables.forEachVectorRecord(in: txn, malformed: { entry in
            guard !entry.nodes.isEmpty else {
                problems.append(.init(kind: .corruptEntry, message: "malformed key in table vectors"))
                return
            }
            // the block's records cannot be told apart: every id its nodes hold lost its vector
            for node in entry.nodes where idOfNode[node] != nil {
                vectorNodes.insert(node)
                vectorsChecked += 1
                problems.append(.init(kind: .corruptVector, node: node, id: idOfNode[node],
                                      message: "the block of vector records holding nodes \(entry.nodes[0])…\(entry.nodes[entry.nodes.count - 1]) is damaged"))
            }
        }) { node, record in
            vectorNodes.insert(node)
            vectorsChecked += 1
            do {
                _ = try codec.decode(record, node: node)
            } catch {
                problems.append(.init(kind: .corruptVector, node: node, id: idOfNode[node], message: "\(error)"))
            }
            if idOfNode[node] == nil {
                problems.append(.init(kind: .orphanRecord, node: node, message: "vector record without an id"))
            }
            return true
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

        for mismatch in try StoreCounters.mismatches(in: txn, tables: tables, dimension: reader.store.dimension) {
            problems.append(.init(kind: .counter, message: "\(mismatch.key.rawValue) is \(mismatch.stored); the tables hold \(mismatch.measured)"))
        }
        let graphNodesChecked = try verifyGraph(liveNodes: Set(idOfNode.keys), idOfNode: idOfNode)
        return VerificationReport(
            vectorsChecked: vectorsChecked, metadataChecked: metadataChecked, graphNodesChecked: graphNodesChecked,
            problems: problems)
    }

    /// Checks the HNSW graph: every record intact, one per live node, links naming live nodes of
    /// that layer, degrees within bounds, out- and in-links matching, levels and entry point
    /// consistent, every node reachable from the entry point in layer 0.
    private mutating func verifyGraph(liveNodes: Set<UInt32>, idOfNode: [UInt32: UInt64]) throws -> Int {
        let txn = reader.txn
        let tables = reader.tables
        let parameters = reader.store.hnswParameters
        var nodes: [UInt32: GraphRecord.Node] = [:]
        try txn.withCursor(on: tables.graph) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key) else {
                    problems.append(.init(kind: .corruptEntry, message: "malformed key in table graph"))
                    return true
                }
                guard GraphRecord.isIntact(entry.value) else {
                    problems.append(.init(kind: .corruptGraph, node: node, id: idOfNode[node], message: "graph record fails its checksum"))
                    return true
                }
                nodes[node] = GraphRecord.decode(entry.value)
                if !liveNodes.contains(node) {
                    problems.append(.init(kind: .orphanRecord, node: node, message: "graph record without an id"))
                }
                return true
            }
        }
        for node in liveNodes.sorted() where nodes[node] == nil {
            problems.append(.init(kind: .corruptGraph, node: node, id: idOfNode[node], message: "no graph record (or a damaged one)"))
        }
        var maxLevel = -1
        for (node, record) in nodes.sorted(by: { $0.key < $1.key }) {
            maxLevel = max(maxLevel, record.level)
            for layer in 0...record.level {
                if record.out[layer].count > parameters.maximumLinks(layer: layer) {
                    problems.append(.init(kind: .degree, node: node, id: idOfNode[node],
                                          message: "\(record.out[layer].count) links in layer \(layer); at most \(parameters.maximumLinks(layer: layer))"))
                }
                for target in record.out[layer] {
                    guard let targetRecord = nodes[target], layer <= targetRecord.level else {
                        problems.append(.init(kind: .danglingLink, node: node, id: idOfNode[node],
                                              message: "layer \(layer) links to node \(target), which is not in that layer"))
                        continue
                    }
                    if !targetRecord.in[layer].contains(node) {
                        problems.append(.init(kind: .linkMismatch, node: node, id: idOfNode[node],
                                              message: "layer \(layer) link to \(target) missing from its in-links"))
                    }
                }
                for source in record.in[layer] {
                    guard let sourceRecord = nodes[source], layer <= sourceRecord.level,
                          sourceRecord.out[layer].contains(node) else {
                        problems.append(.init(kind: .linkMismatch, node: node, id: idOfNode[node],
                                              message: "layer \(layer) in-link from \(source) has no matching out-link"))
                        continue
                    }
                }
            }
        }

        let entry = try reader.mapNodes.entryPoint()
        if nodes.isEmpty {
            if entry != nil { problems.append(.init(kind: .level, message: "an empty graph has an entry point")) }
            return 0
        }
        guard let entry else {
            problems.append(.init(kind: .level, message: "the graph has nodes but no entry point"))
            return nodes.count
        }
        guard let entryRecord = nodes[entry.node] else {
            problems.append(.init(kind: .level, node: entry.node, message: "the entry point has no graph record"))
            return nodes.count
        }
        if entryRecord.level != entry.level || entry.level != maxLevel {
            problems.append(.init(kind: .level, node: entry.node,
                                  message: "entry level \(entry.level), its record \(entryRecord.level), highest level \(maxLevel)"))
        }
        var indexed: [UInt32: Int] = [:]
        try txn.withCursor(on: tables.levels) { cursor in
            try cursor.forEach { entry in
                if let level = UInt32(keyBytes: entry.key), let node = UInt32(keyBytes: entry.value) { indexed[node] = Int(level) }
                return true
            }
        }
        for (node, record) in nodes where record.level >= 1 && indexed[node] != record.level {
            problems.append(.init(kind: .level, node: node, id: idOfNode[node], message: "level \(record.level) missing from the level index"))
        }
        for (node, level) in indexed where nodes[node]?.level != level {
            problems.append(.init(kind: .level, node: node, message: "level index says \(level), the record \(nodes[node].map { "\($0.level)" } ?? "is missing")"))
        }

        // breadth-first walk of layer 0 from the entry point
        var reached = Set<UInt32>([entry.node])
        var frontier = [entry.node]
        while let node = frontier.popLast() {
            for target in nodes[node]?.out[0] ?? [] where nodes[target] != nil && reached.insert(target).inserted {
                frontier.append(target)
            }
        }
        for node in nodes.keys.sorted() where !reached.contains(node) {
            problems.append(.init(kind: .unreachable, node: node, id: idOfNode[node], message: "not reachable from the entry point in layer 0"))
        }
        return nodes.count
    }
}
