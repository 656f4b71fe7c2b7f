/// Keeping every node of layer 0 reachable from the entry point, at the end of each write
/// transaction. Pruning keeps each node's last in-link, but a group of nodes can be left with
/// in-links only from each other (5,000 random 384-d vectors imported with M 8 left 9 such
/// nodes, which `verify` reports and searches cannot find). `ReachabilityTree` names the few nodes
/// that may have been cut off; each gets a parent among its in-links, and a node none of whose
/// in-links proves reachable is checked against a full walk and, when cut off, linked from its
/// nearest reachable nodes (as repair does).
extension HNSWWriter {
    /// Rounds of reconnecting before the transaction gives up (and the next one walks again).
    static let reachabilityRounds = 4

    /// Makes every node reachable again after this transaction's changes; returns the nodes it
    /// linked from their nearest reachable nodes. With `walkingEverything` (repair), a walk of the
    /// whole layer decides instead of the tree. Nodes whose vector is damaged cannot be linked by
    /// distance and are left as they are.
    @discardableResult
    func keepReachable(walkingEverything: Bool = false) throws -> [UInt32] {
        guard let tree = reachability else { return [] }
        guard let entry = try entryPoint() else {
            tree.invalidate()
            return []
        }
        if walkingEverything { tree.invalidate() }
        var reconnected: [UInt32] = []
        for _ in 0..<Self.reachabilityRounds {
            if !tree.isBuilt || tree.root != entry.node {
                let unreached = try buildTree(tree, from: entry.node)
                if unreached.isEmpty { return reconnected }
                let linked = try reconnect(unreached)
                guard !linked.isEmpty else { break }
                reconnected += linked
                // the reconnected nodes have no parent yet: the next round walks again
                tree.invalidate()
                continue
            }
            let stuck = attachDetached(tree)
            if stuck.isEmpty { return reconnected }
            // no in-link proves these reachable: a walk of the whole graph decides
            tree.invalidate()
        }
        tree.invalidate()
        return reconnected
    }

    /// Gives each detached node a parent among its in-links whose parents lead to the root,
    /// repeating while that helps; returns the nodes left without one.
    private func attachDetached(_ tree: ReachabilityTree) -> [UInt32] {
        var progress = true
        while progress && !tree.detached.isEmpty {
            progress = false
            for node in tree.detached.sorted() {
                // a node without a record (deleted) needs no parent
                guard let record = try? self.node(node) else {
                    tree.attach(node, to: ReachabilityTree.none)
                    progress = true
                    continue
                }
                for source in record.in[0] where source != node && tree.leadsToRoot(from: source, avoiding: node) {
                    // the in-list names the link; the source's own record confirms it
                    guard (try? self.node(source))?.out[0].contains(node) == true else { continue }
                    tree.attach(node, to: source)
                    progress = true
                    break
                }
            }
        }
        return tree.detached.sorted()
    }

    /// Walks layer 0 breadth first from `root` over the records as this transaction has them,
    /// making the tree of first discovery; returns the nodes with a record that the walk did not reach.
    private func buildTree(_ tree: ReachabilityTree, from root: UInt32) throws -> [UInt32] {
        let walk = try walkLayer0(from: root, starting: { tree.start(root: root, nodeLimit: $0) }) { tree.attach($0, to: $1) }
        return walk.nodes.filter { !walk.reached[Int($0)] }
    }

    /// Walks layer 0 breadth first (short chains of parents for `leadsToRoot`) from `root`,
    /// reading the raw records as this transaction has them; calls `starting` with the node id
    /// bound, then `reach(node, from)` for each node the first time a link leads to it. Returns
    /// every node with a record, and a flag per node id for the ones reached. A damaged record,
    /// and a link past every record's node, lead nowhere here; verify and repair deal with them.
    private func walkLayer0(
        from root: UInt32, starting: (Int) -> Void, reach: (UInt32, UInt32) -> Void
    ) throws -> (nodes: [UInt32], reached: [Bool]) {
        var all: [UInt32] = []
        try txn.withCursor(on: tables.graph) { cursor in
            try cursor.forEach { entry in
                if let node = UInt32(keyBytes: entry.key) { all.append(node) }
                return true
            }
        }
        let limit = max(Int(all.last ?? root), Int(root)) + 1
        starting(limit)
        // a flag per node: a set of a million nodes took most of the walk's time
        var reached = [Bool](repeating: false, count: limit)
        reached[Int(root)] = true
        var frontier = [root]
        var head = 0
        var links = ContiguousArray<UInt32>()
        while head < frontier.count {
            let node = frontier[head]
            head += 1
            links.removeAll(keepingCapacity: true)
            try node.withKeyBytes { key in
                _ = try txn.withValue(in: tables.graph, forKey: key) { record in
                    if GraphRecord.isIntact(record) { GraphRecord.appendOutLinks(of: record, layer: 0, to: &links) }
                }
            }
            for target in links where Int(target) < limit && !reached[Int(target)] {
                reached[Int(target)] = true
                reach(target, node)
                frontier.append(target)
            }
        }
        return (all, reached)
    }

    /// Links each of `nodes` from its nearest reachable nodes; returns the ones it could link.
    private func reconnect(_ nodes: [UInt32]) throws -> [UInt32] {
        var linked: [UInt32] = []
        for node in nodes {
            guard let (vector, norm) = try vectorCopy(node) else { continue }
            do {
                if try reconnect(node, vector: vector, norm: norm) > 0 { linked.append(node) }
            } catch StoreError.corruptRecord {
                continue
            }
        }
        return linked
    }
}
