/// What the prefetch thread does once, right after a store opens with a node cache, so that
/// searches find the nodes they need in memory. It starts when the first search ends or
/// `firstSearchGrace` after the opening, whichever comes first: a process that opens a store for
/// one query (a command) closes it before any whole-store work begins, and that query does not
/// compete with the map population for the memory system. The steps, in order, in one read
/// transaction of the newest snapshot:
///
/// 1. Map population: a data file no larger than the cache budget (nor `locateLimit`) is mapped
///    in whole (a few milliseconds per 100 MB from the page cache), since each page would
///    otherwise cost a fault later.
/// 2. Location pass: every node's records are located in that snapshot's location table, so
///    searches read the nodes the cache lacks without B-tree lookups.
/// 3. Image: an image of this very snapshot saved by the last opening loads in one read.
/// 4. Gate: searches, held at the store's `LocationGate` since the store queued the warm start,
///    go ahead (the gate opens on every way out as well, and after at most
///    `LocationGate.defaultMaximumWait`).
/// 5. Whole-store load or hot set: a store the budget holds whole is loaded in id order, in
///    chunks queued behind other requests (searches leave filling to it meanwhile); otherwise
///    the hot set the last opening saved, every node above layer 0 and the entry point's layer-0
///    neighbourhood are loaded.
///
/// Only steps 1–3 run before searches may start; they are skipped where they do not pay: a store
/// larger than the budget is neither populated nor located. Closing the store ends the steps
/// early (see `CacheLoader.isStopping`).
struct WarmStart {
    let loader: CacheLoader

    /// Nodes of the entry point's neighbourhood step 5 adds to the saved hot set.
    static let neighbourhood = 4096
    /// The largest data file steps 1 and 2 run on (also never more than the cache budget): both run
    /// in one read transaction, which holds back page reuse by writers while it lasts, and a file
    /// not in the page cache is read from disk.
    static let locateLimit = 1 << 30

    /// How long the warm start waits for the first search to end.
    static let firstSearchGrace: Double = 0.05

    /// Runs the steps in order.
    func run() throws {
        let cache = loader.nodeCache, environment = loader.environment, gate = loader.locationGate, loader = self.loader
        // the store may have marked the whole-store load pending at its opening; a warm start
        // that ends before step 5 sweeps (closing, an error, a store grown past the budget)
        // hands filling back to searches
        var sweeping = false
        defer {
            if !sweeping { cache.isLoadingWhole = false }
            gate.release()
        }
        gate.waitForFirstSearch(limit: Self.firstSearchGrace, stop: { loader.isStopping })
        if loader.isStopping { return }
        try loader.withNodes { source in
            // 1 and 2
            if environment.populateMap(limit: min(cache.budgetBytes, Self.locateLimit), until: { loader.isStopping }) > 0 {
                try source.map.locateAll(until: { loader.isStopping })
            }
            if loader.isStopping { return }
            // 3
            _ = try source.map.txn.withBytes(of: .cacheImage, in: loader.tables.meta) {
                cache.load(image: $0, snapshot: source.snapshot)
            }
            // 4, after deciding whether step 5 loads the whole store: searches leave filling to
            // that load from the moment they pass the gate
            let whole = try cache.reserve(nodes: source.nodeBound())
            cache.isLoadingWhole = whole
            gate.release()
            // 5
            if whole {
                // the sweep clears the mark itself when it ends, however it ends
                sweeping = true
                try loader.sweep(source, from: 0)
            } else {
                try loader.fill(try hotNodes(source, limit: cache.capacity), withNeighbours: false, origin: .warmStart, in: source)
            }
        }
    }

    /// What step 5 loads when the store does not fit, in order: the hot set the previous opening
    /// saved, every node above layer 0, then the entry point's layer-0 neighbourhood breadth
    /// first; at most `limit` nodes.
    func hotNodes(_ source: CachedNodes, limit: Int) throws -> [UInt32] {
        let txn = source.map.txn, tables = loader.tables
        var nodes = try txn.savedHotSet(in: tables.meta)
        var seen = Set(nodes)
        try txn.withCursor(on: tables.levels) { cursor in
            try cursor.forEach { entry in
                if let node = UInt32(keyBytes: entry.value), seen.insert(node).inserted { nodes.append(node) }
                return nodes.count < limit
            }
        }
        guard let entry = try source.entryPoint() else { return Array(nodes.prefix(limit)) }
        let neighbourhood = min(limit, max(nodes.count + Self.neighbourhood, nodes.count))
        var frontier = [entry.node]
        seen.insert(entry.node)
        nodes.append(entry.node)
        var links = ContiguousArray<UInt32>()
        var index = 0
        while index < frontier.count && nodes.count < neighbourhood {
            guard try source.map.links(of: frontier[index], layer: 0, into: &links) else { index += 1; continue }
            for neighbour in links where seen.insert(neighbour).inserted {
                frontier.append(neighbour)
                nodes.append(neighbour)
            }
            index += 1
        }
        return Array(nodes.prefix(limit))
    }
}
