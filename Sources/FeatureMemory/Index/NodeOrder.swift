/// An order of a graph's nodes in which nodes near in the graph are near in the order, so that a
/// search, which walks one neighbourhood, reads few pages of the records stored by node.
///
/// Hierarchical: the top layer is ordered breadth-first from the entry point; each layer below is
/// split among the nodes of the layer above (every node goes to the one whose breadth-first
/// search over the layer's links reaches it first, all of them searching at once) and ordered by
/// that node's place, then by when it was reached. A node of layer 1 thus leads a group of about
/// M nearby nodes of layer 0, and groups led by nearby nodes sit next to each other. Nodes no
/// search reaches follow in their old order.
struct NodeOrder {
    /// The graph's links, by node, as the order reads them.
    struct Links {
        /// Each node's level (-1: not a node of the graph), indexed by node id.
        var levels: [Int8]
        /// Layer-0 out-links of node `n`: `bottom[bottomStart[n] ..< bottomStart[n + 1]]`.
        var bottomStart: [Int]
        var bottom: [UInt32]
        /// Out-links in layers 1 and up, by node, then by layer - 1.
        var upper: [UInt32: [[UInt32]]]

        /// An empty graph over node ids below `nodeLimit`.
        init(nodeLimit: Int) {
            levels = Array(repeating: -1, count: nodeLimit)
            bottomStart = Array(repeating: 0, count: nodeLimit + 1)
            bottom = []
            upper = [:]
        }

        /// The out-links of `node` in `layer` (empty when the node is not in it).
        func links(of node: UInt32, layer: Int) -> ArraySlice<UInt32> {
            let index = Int(node)
            guard index < levels.count, Int(levels[index]) >= layer else { return [] }
            if layer == 0 { return bottom[bottomStart[index]..<bottomStart[index + 1]] }
            return upper[node]?[layer - 1][...] ?? []
        }
    }

    /// The nodes in their new order: `nodes[i]` becomes node `i`.
    let nodes: [UInt32]

    /// The order of every node of `links` (level ≥ 0), starting from `entry` at level `top`.
    init(_ links: Links, entry: UInt32, top: Int) {
        let count = links.levels.count
        var ordered: [UInt32] = Int(entry) < count && Int(links.levels[Int(entry)]) >= top ? [entry] : []
        // ranks of the layer above (the top layer's own search starts from the entry alone)
        for layer in stride(from: top, through: 0, by: -1) {
            var group = [Int32](repeating: -1, count: count)
            var reachedAt = [Int32](repeating: -1, count: count)
            var queue: [UInt32] = []
            queue.reserveCapacity(ordered.count)
            for (rank, node) in ordered.enumerated() {
                group[Int(node)] = Int32(rank)
                reachedAt[Int(node)] = Int32(queue.count)
                queue.append(node)
            }
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for target in links.links(of: node, layer: layer) {
                    let index = Int(target)
                    guard index < count, Int(links.levels[index]) >= layer, group[index] < 0 else { continue }
                    group[index] = group[Int(node)]
                    reachedAt[index] = Int32(queue.count)
                    queue.append(target)
                }
            }
            var reached = queue
            reached.sort { (group[Int($0)], reachedAt[Int($0)]) < (group[Int($1)], reachedAt[Int($1)]) }
            // the layer's nodes no search reached, in their old order
            for node in 0..<count where Int(links.levels[node]) >= layer && group[node] < 0 {
                reached.append(UInt32(node))
            }
            ordered = reached
        }
        nodes = ordered
    }
}
