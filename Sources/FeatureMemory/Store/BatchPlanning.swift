import Foundation

/// The link plans of a batch (`BatchLinkPlanner`), made by planner threads from the last
/// committed snapshot while the writer links the items already planned: item after item as a
/// thread is free, each item's candidates in the snapshot, then its pool and neighbours from
/// those and the items before it. The writer takes the plans in order (`plan(at:)`), waiting for
/// one only when it has caught up; its changes to its cache wait apart meanwhile
/// (`WriterCache.deferChanges`), so the planners read the snapshot's state throughout.
final class BatchPlanning: @unchecked Sendable {
    // @unchecked: `plans`, `ready`, `failure`, `stale`, `cancelled` and `handedOut` are touched only under
    // `condition`; the rest is immutable after `start`.

    /// The snapshot the plans were made from.
    let snapshotID: Int
    /// Items planned.
    let count: Int
    private let stored: [StoredForm]
    private let condition = NSCondition()
    private var plans: [BatchLinkPlan?]
    private var ready: [Bool]
    private var failure: Error?
    /// A planner found another snapshot than the forms' (a commit came between them).
    private var stale = false
    private var cancelled = false
    /// Items handed to planner threads so far.
    private var handedOut = 0
    private let planners: DispatchGroup

    private init(snapshotID: Int, stored: [StoredForm], planners: DispatchGroup) {
        self.snapshotID = snapshotID
        self.stored = stored
        count = stored.count
        plans = Array(repeating: nil, count: stored.count)
        ready = Array(repeating: false, count: stored.count)
        self.planners = planners
    }

    /// Starts planning `items` in `store`, whose writer lock the caller holds; nil when an item
    /// has no valid stored form (the write reports it).
    static func start(for items: [VectorItem], in store: FeatureStore) throws -> BatchPlanning? {
        let parameters = store.hnswParameters, seed = store.schema.levelSeed, metric = store.metric
        let writerCache = store.writerCache
        // first every item's stored form and its node in the snapshot (cheap: this thread) ...
        let prepared = try store.read { txn -> (planned: [PlannedItem], stored: [StoredForm], snapshotID: Int)? in
            var planned: [PlannedItem] = [], stored: [StoredForm] = []
            planned.reserveCapacity(items.count)
            stored.reserveCapacity(items.count)
            for item in items {
                guard let form = try? txn.codec.storedForm(of: item.vector, metric: metric) else { return nil }
                planned.append(PlannedItem(
                    values: form.values, norm: form.norm, level: parameters.level(forKey: item.id, seed: seed),
                    snapshotNode: try txn.node(for: item.id)))
                stored.append(form)
            }
            return (planned, stored, txn.txn.snapshotID)
        }
        guard let (plannedItems, stored, snapshotID) = prepared else { return nil }
        let planner = BatchLinkPlanner(items: plannedItems, dimension: writerCache.dimension, parameters: parameters, metric: metric)
        let planning = BatchPlanning(snapshotID: snapshotID, stored: stored, planners: writerCache.planners)
        // decided here, before the writer's transaction changes what it answers; without the
        // writer's cache an empty one: the same 8-bit distances made from the map, so the plans
        // do not depend on what is cached
        let cache = writerCache.reflects(snapshotID: snapshotID) ? writerCache : WriterCache(dimension: writerCache.dimension, byteBudget: 0)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count))
        for _ in 0..<workers {
            planning.planners.enter()
            // threads of their own: the writer waits for them, so they must not queue behind
            // work (other writers waiting for the writer lock) in a shared pool
            let thread = Thread {
                defer { planning.planners.leave() }
                do {
                    try store.read { txn in
                        guard txn.txn.snapshotID == snapshotID else { return planning.markStale() }
                        let source = WriterNodes(map: txn.mapNodes, cache: cache, populates: false)
                        while let index = planning.nextItem() {
                            let item = items[index], norm = item.vector.euclideanNorm
                            let pools = try item.vector.withUnsafeBytes { bytes -> [[Candidate]] in
                                guard let query = bytes.baseAddress else { return [] }
                                var search = HNSWSearch(source: source, scratch: txn.scratch)
                                return try search.candidatePools(query, norm: norm, level: plannedItems[index].level, ef: parameters.efConstruction)
                            }
                            planning.deliver(try planner.plan(index, snapshotPools: pools, source: source, scratch: txn.scratch), at: index)
                        }
                    }
                } catch {
                    planning.fail(error)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        return planning
    }

    /// The plan of item `position` and its stored form, once made (waiting for it); nil when the
    /// planners saw another snapshot. Throws what a planner threw.
    func plan(at position: Int) throws -> (plan: BatchLinkPlan, stored: StoredForm)? {
        condition.lock()
        defer { condition.unlock() }
        while !ready[position] && failure == nil && !stale && !cancelled { condition.wait() }
        if let failure { throw failure }
        guard ready[position], !stale, let plan = plans[position] else { return nil }
        return (plan, stored[position])
    }

    /// Stops the planners after the item each is on, and waits until none reads the writer's
    /// cache any more.
    func cancelAndWait() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        planners.wait()
    }

    /// The next item for a planner thread, handed out one at a time so that a thread that drew
    /// cheap items takes more of them; nil when every item is out or planning stopped.
    private func nextItem() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled, failure == nil, !stale, handedOut < count else { return nil }
        handedOut += 1
        return handedOut - 1
    }

    private func deliver(_ plan: BatchLinkPlan, at position: Int) {
        condition.lock()
        plans[position] = plan
        ready[position] = true
        condition.broadcast()
        condition.unlock()
    }

    private func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    private func markStale() {
        condition.lock()
        stale = true
        condition.broadcast()
        condition.unlock()
    }
}
