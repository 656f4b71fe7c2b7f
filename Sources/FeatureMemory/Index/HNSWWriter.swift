/// Tells whoever keeps copies of graph nodes that a write transaction changed one, before it
/// commits (the node cache stamps the node, so no reader mixes the two versions).
protocol GraphChangeObserver: AnyObject, Sendable {
    /// `node` is changed by the write transaction `transaction`, which has not committed yet.
    func nodeChanged(_ node: UInt32, by transaction: UInt64)
}

/// The HNSW graph of a store as its writer changes it, inside one write transaction: inserts
/// (`HNSWWriter+Insert`), deletes (`+Delete`) and repairs (`+Repair`) change links in the same
/// transaction as the vector they index. It reads nodes through `WriterNodes` (the writer's cache
/// of decoded nodes, then the map) and searches with `HNSWSearch` over the same source.
final class HNSWWriter {
    let txn: Transaction
    let tables: StoreTables
    let dimension: Int
    let metric: Metric
    let parameters: HNSWParameters
    let scratch: SearchScratch
    /// Every node read or written, through the writer's cache.
    let nodes: WriterNodes
    /// Told of each node the transaction changes; nil when nothing keeps copies.
    let observer: (any GraphChangeObserver)?
    /// The id of this write transaction.
    let transactionID: UInt64
    /// The layout graph records are written in (the store's format decides: `GraphRecord.layout(forStoreFormat:)`).
    let graphLayout: UInt8
    /// Told of every layer-0 link the transaction removes, so that `keepReachable` can find the
    /// nodes that may have been cut off; nil when nothing keeps the graph reachable.
    let reachability: ReachabilityTree?

    /// The writer of the graph in `map`'s write transaction, reading through the writer's `cache`
    /// and telling `observer` of every node it changes.
    init(
        map: MapNodes, parameters: HNSWParameters, cache: WriterCache, observer: (any GraphChangeObserver)?, graphLayout: UInt8,
        reachability: ReachabilityTree? = nil
    ) {
        self.reachability = reachability
        txn = map.txn
        tables = map.tables
        dimension = map.dimension
        metric = map.metric
        scratch = map.scratch
        self.parameters = parameters
        self.observer = observer
        self.graphLayout = graphLayout
        transactionID = map.snapshot
        nodes = WriterNodes(map: map, cache: cache, populates: true)
    }

    /// A search of the graph as this transaction has it so far.
    var searcher: HNSWSearch<WriterNodes> { HNSWSearch(source: nodes, scratch: scratch) }

    /// The node searches start from and its level; nil for an empty graph.
    func entryPoint() throws -> (node: UInt32, level: Int)? { try nodes.entryPoint() }

    /// The exact distance from `query` to `node`, or nil when the node is missing or damaged
    /// (then it is noted in `scratch.damaged`).
    @inline(__always)
    func distance(_ query: UnsafeRawPointer, norm: Float, to node: UInt32) throws -> Float? {
        try nodes.exactDistance(query, norm: norm, to: node)
    }

    /// Copies `node`'s vector into scratch slot `slot`; returns its norm, or nil when missing or damaged.
    func loadVector(_ node: UInt32, intoSlot slot: Int) throws -> Float? {
        let bytes = dimension * 4
        let target = scratch.slot(slot)
        return try withCheckedVector(node) { values, norm in
            target.copyMemory(from: values, byteCount: bytes)
            return norm
        }
    }

    /// Passes `node`'s vector (valid only inside `body`, which must not write) and norm to `body`;
    /// nil when the node is missing or damaged (then it is noted in `scratch.damaged`).
    func withCheckedVector<R>(_ node: UInt32, _ body: (UnsafeRawPointer, Float) throws -> R) throws -> R? {
        do {
            return try nodes.withVector(node, body)
        } catch StoreError.corruptRecord {
            scratch.damaged.append(node)
            return nil
        }
    }

    /// The decoded links of `node`, or nil when it has no record. A damaged record is an error.
    func node(_ node: UInt32) throws -> GraphRecord.Node? { try nodes.node(node) }

    /// Stamps `node` as changed by this write transaction for whoever keeps copies of it.
    func noteChanged(_ node: UInt32) {
        observer?.nodeChanged(node, by: transactionID)
    }
}
