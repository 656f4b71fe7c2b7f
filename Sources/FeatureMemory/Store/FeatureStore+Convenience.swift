import Dispatch
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
    /// A large batch is indexed on every core: before the write transaction, each item's graph
    /// neighbourhood is searched in the last committed snapshot, merged with the items before it
    /// in the batch (compared exactly), and its neighbours chosen from that pool; the writer then
    /// links the items one by one as planned. When another writer (a process or a store object)
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
            let planned = parallel.count >= Self.parallelBatchThreshold ? try linkPlans(for: parallel) : nil
            try write { txn in
                // the plans hold only if nothing was committed since their snapshot
                let plans = planned.flatMap { $0.snapshotID + 1 == txn.txn.snapshotID ? $0.plans : nil }
                var peers: [UInt32] = []
                for (position, index) in written.enumerated() {
                    let item = items[index]
                    do {
                        try txn.put(item.vector, for: item.id, label: item.label, userData: item.userData,
                                    planned: plans.flatMap { position < $0.count ? $0[position] : nil }, peers: &peers)
                    } catch let error as StoreError {
                        throw StoreError.batchItem(index: index, error)
                    }
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

    /// Each item's link plan and stored form, made on all cores from the last committed snapshot,
    /// and that snapshot's id; nil when the transactions' snapshots differ (a commit came between
    /// them) or an item is invalid (the write reports it).
    func linkPlans(for items: [VectorItem]) throws -> (plans: [(plan: BatchLinkPlan, stored: StoredForm)], snapshotID: Int)? {
        let parameters = hnswParameters, seed = schema.levelSeed, metric = self.metric
        // first every item's stored form and its node in the snapshot (cheap: one thread) ...
        let (forms, formSnapshot) = try read { txn -> ([(stored: StoredForm, snapshotNode: UInt32?, level: Int)]?, Int) in
            var forms: [(stored: StoredForm, snapshotNode: UInt32?, level: Int)] = []
            forms.reserveCapacity(items.count)
            for item in items {
                guard let stored = try? txn.codec.storedForm(of: item.vector, metric: metric) else { return (nil, txn.txn.snapshotID) }
                forms.append((stored, try txn.node(for: item.id), parameters.level(forKey: item.id, seed: seed)))
            }
            return (forms, txn.txn.snapshotID)
        }
        guard let forms else { return nil }
        let planner = BatchLinkPlanner(
            items: forms.map { PlannedItem(values: $0.stored.values, norm: $0.stored.norm, level: $0.level, snapshotNode: $0.snapshotNode) },
            dimension: writerCache.dimension, parameters: parameters, metric: metric)
        // ... then on every core, item after item as each thread is free: its candidates in the
        // snapshot, and its pool and neighbours from those and the items before it
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count))
        let plans = ParallelSlots<BatchLinkPlan?>(count: items.count, initial: nil)
        let snapshots = ParallelSlots<Int>(count: workers, initial: -1)
        let failure = FirstError(), dispenser = IndexDispenser(count: items.count)
        let uncached = WriterCache(dimension: writerCache.dimension, byteBudget: 0)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                try read { txn in
                    snapshots[worker] = txn.txn.snapshotID
                    // without the writer's cache, an empty one: the same 8-bit distances made
                    // from the map, so the plans do not depend on what is cached
                    let cache = writerCache.reflects(snapshotID: txn.txn.snapshotID) ? writerCache : uncached
                    let source = WriterNodes(map: txn.mapNodes, cache: cache, populates: false)
                    while failure.error == nil, let index = dispenser.take() {
                        let item = items[index], norm = item.vector.euclideanNorm
                        let pools = try item.vector.withUnsafeBytes { bytes -> [[Candidate]] in
                            guard let query = bytes.baseAddress else { return [] }
                            var search = HNSWSearch(source: source, scratch: txn.scratch)
                            return try search.candidatePools(query, norm: norm, level: forms[index].level, ef: parameters.efConstruction)
                        }
                        plans[index] = try planner.plan(index, snapshotPools: pools, source: source, scratch: txn.scratch)
                    }
                }
            } catch {
                failure.set(error)
            }
        }
        if let error = failure.error { throw error }
        guard snapshots.values.allSatisfy({ $0 == formSnapshot }) else { return nil }
        var result: [(plan: BatchLinkPlan, stored: StoredForm)] = []
        result.reserveCapacity(items.count)
        for index in items.indices {
            guard let plan = plans[index] else { return nil }
            result.append((plan, forms[index].stored))
        }
        return (result, formSnapshot)
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
