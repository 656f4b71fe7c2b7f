import Foundation

/// One-call forms of the common operations, each in its own transaction.
extension FeatureStore {
    /// Stores `vector` under `id` in its own durable transaction, replacing what `id` held.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func put(_ vector: [Float], for id: UInt64, label: String? = nil, userData: Data? = nil) throws {
        try write { try $0.put(vector, for: id, label: label, userData: userData) }
    }

    /// Stores every item in one transaction: all of them, or (on any error) none.
    /// An error names the failing item with `StoreError.batchItem`.
    ///
    /// An item whose id is already stored replaces it (an upsert: vector, label and user data;
    /// the node is unlinked and linked again in the same transaction). When the batch holds an id
    /// more than once, its last item wins and the earlier ones are skipped.
    ///
    /// A large batch is indexed on every core: planner threads search each item's graph
    /// neighbourhood in the last committed snapshot, merge it with the items before it in the
    /// batch (compared exactly) and choose its neighbours from that pool, while the writer links
    /// the items one by one as their plans arrive (`BatchPlanning`). When another writer (a process or a store object)
    /// committed between the planning and the write, the plans describe a graph that no longer
    /// exists and the items are inserted by plain graph search instead.
    ///
    /// The planning runs once; the write transaction may run again after the map grows (see
    /// `write(_:)`), which is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func put(_ items: [VectorItem]) throws {
        // every item, the ones a later item of the same id replaces included, by the rules a put
        // applies, before the parallel searches
        let rules = putRules
        for (index, item) in items.enumerated() {
            do {
                try rules.check(item)
            } catch let error as StoreError {
                throw StoreError.batchItem(index: index, error)
            }
        }
        let written = Self.lastOccurrences(of: items)
        // the writer lock keeps other writers of this process out between the searches and the
        // write, so the searches may read the writer's cache
        try environment.withWriterLock {
            // items past the first 1,024 insert by plain graph search: comparing each with every
            // earlier item of the batch would grow quadratically
            let parallel = written.prefix(1_024).map { items[$0] }
            let planning = parallel.count >= Self.parallelBatchThreshold ? try BatchPlanning.start(for: parallel, in: self) : nil
            defer { planning?.cancelAndWait() }
            try write { txn in
                // the plans hold only if nothing was committed since their snapshot
                let plans = planning.flatMap { $0.snapshotID + 1 == txn.txn.snapshotID ? $0 : nil }
                if plans != nil {
                    writerCache.deferChanges()
                } else {
                    // the writer changes its cache in place: no planner may be reading it
                    planning?.cancelAndWait()
                }
                var peers: [UInt32] = []
                do {
                    for (position, index) in written.enumerated() {
                        let item = items[index]
                        let planned = try plans.flatMap { position < $0.count ? try $0.plan(at: position) : nil }
                        if let plans, position == plans.count { writerCache.endDeferral() }
                        do {
                            try txn.put(item.vector, for: item.id, label: item.label, userData: item.userData, planned: planned, peers: &peers)
                        } catch let error as StoreError {
                            throw StoreError.batchItem(index: index, error)
                        }
                    }
                } catch {
                    // the planners stop before the rollback empties the cache they read
                    planning?.cancelAndWait()
                    throw error
                }
            }
        }
    }

    /// Batches at least this large are indexed in parallel.
    static var parallelBatchThreshold: Int { 64 }

    /// The indices of `items` to write, in order: for an id that occurs more than once, only
    /// its last occurrence.
    static func lastOccurrences(of items: [VectorItem]) -> [Int] {
        var last: [UInt64: Int] = [:]
        last.reserveCapacity(items.count)
        for (index, item) in items.enumerated() { last[item.id] = index }
        guard last.count < items.count else { return Array(items.indices) }
        return items.indices.filter { last[items[$0].id] == $0 }
    }

    /// The vector, id and metadata stored under `id`; throws `StoreError.unknownID` when none.
    public func get(_ id: UInt64) throws -> StoredVector {
        try read { try $0.get(id) }
    }

    /// Whether a vector is stored under `id`.
    public func contains(_ id: UInt64) throws -> Bool {
        try read { try $0.contains(id) }
    }

    /// Replaces the vector of an existing `id`, keeping its metadata, in its own durable transaction.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func update(_ id: UInt64, vector: [Float]) throws {
        try write { try $0.update(id, vector: vector) }
    }

    /// Removes `id` in its own durable transaction; throws `StoreError.unknownID` when none.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func delete(_ id: UInt64) throws {
        try write { try $0.delete(id) }
    }

    /// Removes every id in one transaction: all of them, or (when one is unknown) none. An id
    /// named more than once is removed once.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func delete(_ ids: [UInt64]) throws {
        try write { txn in
            var seen = Set<UInt64>()
            for (index, id) in ids.enumerated() where seen.insert(id).inserted {
                do {
                    try txn.delete(id)
                } catch let error as StoreError {
                    throw StoreError.batchItem(index: index, error)
                }
            }
        }
    }

    /// The number of vectors in the store, read in a snapshot of its own.
    public func count() throws -> Int {
        try read { try $0.count() }
    }

    /// The `count` stored vectors nearest to `query`, nearest first, through the HNSW graph
    /// (see `ReadTransaction.nearest(to:count:ef:filter:)`).
    public func nearest(to query: [Float], count k: Int, ef: Int? = nil, filter: SearchFilter? = nil) throws -> [SearchResult] {
        try read { try $0.nearest(to: query, count: k, ef: ef, filter: filter) }
    }

    /// The `count` stored vectors nearest to `query`, nearest first, by exhaustive search.
    public func exactNearest(to query: [Float], count k: Int, filter: SearchFilter? = nil) throws -> [SearchResult] {
        try read { try $0.exactNearest(to: query, count: k, filter: filter) }
    }
}

extension FeatureStore {
    /// Whether a store object (or a backup or other maintenance) in this process still has the
    /// store in `directory` open: a server that deleted a store waits for this to turn false
    /// before it lets a new store take the same path.
    public static func isOpenInProcess(at directory: URL) -> Bool {
        EnvironmentRegistry.shared.isOpen(directory: directory.path)
    }
}
