import Foundation

/// A copy of a store whose nodes are numbered in `NodeOrder`, so that graph neighbours share
/// the pages of the tables keyed by node (vectors, graph, patterns): a query's first answer, and
/// any search of a store the page cache cannot hold, reads fewer pages. Written table by table in
/// key order (`MDB_APPEND`, full pages) into a new environment, from one snapshot of the source.
///
/// Only a store whose records all read and agree with each other is renumbered: anything else
/// (a damaged record, a link to a node that is not there) is left for `repair`, and the caller
/// copies the store page by page instead.
struct StoreRenumbering {
    /// Why a store was not renumbered.
    struct NotRenumbered: Error, CustomStringConvertible {
        var description: String
    }

    /// New nodes written per write transaction: bounds the dirty pages a transaction holds.
    static let nodesPerTransaction = 8_192

    let source: FeatureStore

    /// Writes the renumbered copy into a new environment in `directory` and returns it, open.
    /// Throws `NotRenumbered` when the store's records do not allow it, leaving `directory` to
    /// the caller to remove.
    func write(into directory: String) throws -> Environment {
        try source.environment.read { old in
            let tables = source.tables
            let (links, live) = try readLinks(in: old, tables: tables)
            guard let entry = try old.integer(.graphEntry, in: tables.meta, as: UInt32.self),
                  let top = try old.integer(.graphMaxLevel, in: tables.meta, as: UInt32.self),
                  Int(entry) < links.levels.count, Int(links.levels[Int(entry)]) == Int(top)
            else { throw NotRenumbered(description: "the graph's entry point does not match its records") }
            let order = NodeOrder(links, entry: entry, top: Int(top)).nodes
            guard order.count == live else { throw NotRenumbered(description: "the order lost nodes") }
            var newNode = [UInt32](repeating: .max, count: links.levels.count)
            for (index, node) in order.enumerated() { newNode[Int(node)] = UInt32(index) }

            let fresh = try Environment(directory: directory, configuration: Environment.Configuration(
                initialMapSize: max(1 << 26, 2 * (try source.environment.info().fileSize)), durability: .noSync))
            var newTables = try fresh.write { txn in
                guard let opened = try StoreTables.open(in: fresh, txn: txn, create: true) else {
                    throw NotRenumbered(description: "cannot create the tables")
                }
                try copyMeta(from: old, tables: tables, into: txn, meta: opened.meta, entry: newNode[Int(entry)], count: order.count)
                return opened
            }
            newTables.vectorSlots = tables.vectorSlots
            let layout = GraphRecord.layout(forStoreFormat: source.schema.formatVersion)
            for start in stride(from: 0, to: order.count, by: Self.nodesPerTransaction) {
                let end = min(start + Self.nodesPerTransaction, order.count)
                try fresh.write { txn in
                    for index in start..<end {
                        try copyNode(order[index], as: UInt32(index), from: old, tables: tables, into: txn, newTables, newNode: newNode, layout: layout)
                    }
                }
            }
            try copyKeys(from: old, tables: tables, into: fresh, newTables, newNode: newNode)
            try copyLabels(from: old, tables: tables, into: fresh, newTables, newNode: newNode)
            return fresh
        }
    }

    /// Every live node's links, checked: each live node has an intact graph record, each record
    /// is a live node's, and every link names a live node of that layer. Returns the live count.
    private func readLinks(in txn: Transaction, tables: StoreTables) throws -> (NodeOrder.Links, Int) {
        var liveNodes: [UInt32] = []
        try txn.withCursor(on: tables.patterns) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key) else { throw NotRenumbered(description: "a pattern key is not a node") }
                liveNodes.append(node)
                return true
            }
        }
        let limit = Int(liveNodes.last ?? 0) + 1
        guard try txn.statistics(of: tables.keys).entries == liveNodes.count,
              try txn.statistics(of: tables.graph).entries == liveNodes.count
        else { throw NotRenumbered(description: "the keys, patterns and graph tables hold different nodes") }
        var links = NodeOrder.Links(nodeLimit: limit)
        var next = 0
        try txn.withCursor(on: tables.graph) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.key), Int(node) < limit, Int(node) >= next,
                      GraphRecord.isIntact(entry.value)
                else { throw NotRenumbered(description: "a graph record is damaged or not a live node's") }
                // nodes without a record between the last one and this one have no links
                for skipped in next..<Int(node) { links.bottomStart[skipped + 1] = links.bottom.count }
                let record = GraphRecord.decode(entry.value)
                links.levels[Int(node)] = Int8(record.level)
                links.bottom.append(contentsOf: record.out[0])
                links.bottomStart[Int(node) + 1] = links.bottom.count
                if record.level > 0 { links.upper[node] = Array(record.out[1...]) }
                next = Int(node) + 1
                return true
            }
        }
        for skipped in next..<limit { links.bottomStart[skipped + 1] = links.bottom.count }
        for node in liveNodes where links.levels[Int(node)] < 0 {
            throw NotRenumbered(description: "node \(node) has no graph record")
        }
        for node in liveNodes {
            for layer in 0...Int(links.levels[Int(node)]) {
                for target in links.links(of: node, layer: layer) where Int(target) >= limit || Int(links.levels[Int(target)]) < layer {
                    throw NotRenumbered(description: "node \(node) links to \(target), not a node of layer \(layer)")
                }
            }
        }
        return (links, liveNodes.count)
    }

    /// The source's `meta` entries, but for what names nodes: the next node is the count, the
    /// entry point renumbered, the saved hot set and cache image (of old node ids) left out.
    private func copyMeta(from old: Transaction, tables: StoreTables, into txn: Transaction, meta: Table, entry: UInt32, count: Int) throws {
        let renamed: Set<String> = [MetaKey.nextNode.rawValue, MetaKey.graphEntry.rawValue, MetaKey.hotSet.rawValue, MetaKey.cacheImage.rawValue]
        try old.withCursor(on: tables.meta) { cursor in
            try cursor.forEach { entry in
                if !renamed.contains(String(decoding: entry.key, as: UTF8.self)) { try txn.put(entry.value, forKey: entry.key, in: meta) }
                return true
            }
        }
        try txn.setInteger(UInt32(count), for: .nextNode, in: meta)
        try txn.setInteger(entry, for: .graphEntry, in: meta)
    }

    /// Node `node`'s metadata, vector and graph records (its links renamed) as node `renumbered`.
    private func copyNode(
        _ node: UInt32, as renumbered: UInt32, from old: Transaction, tables: StoreTables, into txn: Transaction,
        _ newTables: StoreTables, newNode: [UInt32], layout: UInt8
    ) throws {
        try renumbered.withKeyBytes { newKey in
            let copied: Void? = try node.withKeyBytes { key in
                try old.withValue(in: tables.patterns, forKey: key) { try txn.put($0, forKey: newKey, in: newTables.patterns, appending: true) }
            }
            guard copied != nil else { throw NotRenumbered(description: "node \(node) lost its metadata") }
            let vector: Int? = try tables.withVectorRecord(ofNode: node, in: old) { record in
                try newTables.putVectorRecord(record, ofNode: renumbered, replacing: false, in: txn)
            }
            guard vector != nil else { throw NotRenumbered(description: "node \(node) has no vector record") }
            var record = try node.withKeyBytes { key in
                try old.withValue(in: tables.graph, forKey: key) { GraphRecord.decode($0) }
            } ?? GraphRecord.Node(level: 0)
            for layer in 0...record.level {
                record.out[layer] = record.out[layer].map { newNode[Int($0)] }
                record.in[layer] = try record.in[layer].map { source in
                    guard Int(source) < newNode.count, newNode[Int(source)] != .max else {
                        throw NotRenumbered(description: "node \(node) has an in-link from \(source), not a live node")
                    }
                    return newNode[Int(source)]
                }
            }
            try GraphRecord.encode(record, layout: layout).withUnsafeBytes { try txn.put($0, forKey: newKey, in: newTables.graph, appending: true) }
            if record.level > 0 {
                try UInt32(record.level).withKeyBytes { try txn.put(newKey, forKey: $0, in: newTables.levels) }
            }
        }
    }

    /// The external id → node table, renamed; in key order, as the source holds it.
    private func copyKeys(from old: Transaction, tables: StoreTables, into fresh: Environment, _ newTables: StoreTables, newNode: [UInt32]) throws {
        var pending: [(UInt64, UInt32)] = []
        func flush() throws {
            try fresh.write { txn in
                for (id, node) in pending {
                    try id.withKeyBytes { key in try node.withKeyBytes { try txn.put($0, forKey: key, in: newTables.keys, appending: true) } }
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
        try old.withCursor(on: tables.keys) { cursor in
            try cursor.forEach { entry in
                guard let id = UInt64(keyBytes: entry.key), let node = UInt32(keyBytes: entry.value),
                      Int(node) < newNode.count, newNode[Int(node)] != .max
                else { throw NotRenumbered(description: "a key names no live node") }
                pending.append((id, newNode[Int(node)]))
                if pending.count == Self.nodesPerTransaction { try flush() }
                return true
            }
        }
        try flush()
    }

    /// The label → nodes table, renamed.
    private func copyLabels(from old: Transaction, tables: StoreTables, into fresh: Environment, _ newTables: StoreTables, newNode: [UInt32]) throws {
        var pending: [([UInt8], UInt32)] = []
        func flush() throws {
            try fresh.write { txn in
                for (label, node) in pending {
                    try label.withUnsafeBytes { key in try node.withKeyBytes { try txn.put($0, forKey: key, in: newTables.labels) } }
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
        try old.withCursor(on: tables.labels) { cursor in
            try cursor.forEach { entry in
                guard let node = UInt32(keyBytes: entry.value), Int(node) < newNode.count, newNode[Int(node)] != .max else {
                    throw NotRenumbered(description: "a label names no live node")
                }
                pending.append((Array(entry.key), newNode[Int(node)]))
                if pending.count == Self.nodesPerTransaction { try flush() }
                return true
            }
        }
        try flush()
    }
}
