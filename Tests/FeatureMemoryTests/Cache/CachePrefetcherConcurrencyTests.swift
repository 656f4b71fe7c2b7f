import Foundation
import Synchronization
import Testing
@testable import FeatureMemory

/// The prefetch thread (`CachePrefetcher`, serving a `CacheLoader`) under many enqueuing
/// threads, a writer and closing. Its contract: every request it accepts is served once unless
/// the prefetcher stops first; it accepts nothing once stopped; `stop` returns only after the
/// thread has let go of the loader (and so of the store's environment); whatever it loads is what
/// the snapshot it read holds, so searches through the cache stay exact.
@Suite(.timeLimit(.minutes(10)))
struct CachePrefetcherConcurrencyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let off = PrefetchOptions(graph: false, warmStart: false, predictive: false)

    func options(cacheBytes: Int, prefetch: PrefetchOptions = off, dimension: Int? = 16) -> StoreOptions {
        StoreOptions(
            dimension: dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 32), durability: .noSync,
            initialMapSize: 64 << 20, cacheBytes: cacheBytes, prefetch: prefetch, resultCacheEntries: 0)
    }

    /// A store of `count` vectors with a node cache and no prefetcher of its own, and its nodes.
    func storeWithoutPrefetcher(count: Int) throws -> (FeatureStore, [UInt32]) {
        let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 16 << 20))
        try store.put((0..<count).map { VectorItem(id: UInt64($0), vector: versionedVector(id: UInt64($0), version: 0, dimension: 16)) })
        let nodes = try store.read { txn in try (0..<UInt64(count)).map { try #require(try txn.node(for: $0)) } }
        return (store, nodes)
    }

    /// A prefetcher started on a loader of `store`'s own structures; only the prefetcher holds the
    /// loader, which `loader` watches.
    static func startPrefetcher(for store: FeatureStore) -> (CachePrefetcher, loader: () -> CacheLoader?) {
        let prefetcher = CachePrefetcher()
        let loader = CacheLoader(
            environment: store.environment, tables: store.tables, nodeCache: store.nodeCache!, dimension: store.dimension,
            metric: store.metric, parameters: store.hnswParameters, codecs: store.codecs, scratches: store.scratches,
            locations: store.locations, locationGate: store.locationGate)
        prefetcher.start(serving: loader)
        weak let watched = loader
        return (prefetcher, { watched })
    }

    /// Eight threads queue 1,500 nodes in requests of 10, each thread its own share; once the
    /// thread is idle every node is cached, each counted once, nothing else.
    @Test func everyAcceptedRequestIsServedOnce() throws {
        let (store, nodes) = try storeWithoutPrefetcher(count: 1_500)
        let cache = try #require(store.nodeCache)
        // the size target holds all of them while nothing is evicted
        #expect(cache.reserve(nodes: nodes.count))
        let (prefetcher, _) = Self.startPrefetcher(for: store)
        defer { prefetcher.stop() }
        let refused = Atomic<Int>(0)
        let threads = 8
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for start in stride(from: thread * 10, to: nodes.count, by: threads * 10) {
                let request = Array(nodes[start..<min(start + 10, nodes.count)])
                if !prefetcher.enqueue(.nodes(request, withNeighbours: false, origin: .graph)) { refused.add(1, ordering: .relaxed) }
            }
        }
        prefetcher.waitUntilIdle()
        #expect(refused.load(ordering: .relaxed) == 0)     // 1,500 nodes, far below the queue's limit
        let snapshot = UInt64(try store.read { $0.txn.snapshotID })
        let missing = nodes.filter { !cache.contains($0, snapshot: snapshot, countingUse: false) }
        #expect(missing.isEmpty, "\(missing.count) nodes not loaded: \(missing.prefix(10))")
        let statistics = cache.statistics
        #expect(statistics.prefetched[0] == nodes.count)   // the graph prefetcher's count
        #expect(statistics.entries == nodes.count)
        #expect(statistics.fills == 0)
        #expect(statistics.evictions == 0)
    }

    /// Eight threads keep queueing while the test's thread stops the prefetcher: `stop` returns
    /// with the loader released, every enqueue after it is refused (and each thread sees refusal
    /// only after its acceptances), and what was loaded was asked for.
    @Test func stoppingWhileThreadsEnqueueRefusesTheRestAndLetsGo() throws {
        let (store, nodes) = try storeWithoutPrefetcher(count: 1_000)
        let cache = try #require(store.nodeCache)
        #expect(cache.reserve(nodes: nodes.count))
        let (prefetcher, loader) = Self.startPrefetcher(for: store)
        let threads = 8, perThread = 150
        let started = DispatchSemaphore(value: 0)
        let outcomes = Locked<[Int: [Bool]]>([:])
        let askedFor = Locked<Set<UInt32>>([])
        let stopping = Atomic<Bool>(false), stopReturned = Atomic<Bool>(false)
        let enqueuers = (0..<threads).map { thread in
            onNewThread {
                var results: [Bool] = []
                var random = SeededGenerator(seed: UInt64(thread))
                for index in 0..<perThread {
                    // 8 · 150 requests of 10 nodes stay below the queue's limit of 16,384: a refusal means stopped
                    let request = (0..<10).map { _ in nodes[Int.random(in: 0..<nodes.count, using: &random)] }
                    let afterStop = stopReturned.load(ordering: .acquiring)
                    let accepted = prefetcher.enqueue(.nodes(request, withNeighbours: false, origin: .graph))
                    if accepted { askedFor.withLock { $0.formUnion(request) } }
                    if !accepted && !stopping.load(ordering: .acquiring) { results.append(false); break }
                    if accepted && afterStop { results.append(true); break }
                    results.append(accepted)
                    if index == 20 { started.signal() }
                }
                outcomes.withLock { $0[thread] = results }
                if results.count <= 20 { started.signal() }
            }
        }
        for _ in 0..<threads { started.wait() }
        stopping.store(true, ordering: .releasing)
        prefetcher.stop()
        stopReturned.store(true, ordering: .releasing)
        // returned only once the thread let go of the loader (and the environment it holds)
        #expect(loader() == nil)
        let acceptedAfterStop = prefetcher.enqueue(.nodes([nodes[0]], withNeighbours: false, origin: .graph))
        #expect(!acceptedAfterStop)
        // returns: nothing queued, nothing served (a request accepted now would wait forever)
        if !acceptedAfterStop { prefetcher.waitUntilIdle() }
        for enqueuer in enqueuers { enqueuer.wait() }
        for (thread, results) in outcomes.withLock({ $0 }) {
            #expect(results.count == perThread, "thread \(thread) was refused before stop, or accepted after it")
            // refusals come only after stop, and stop is for good
            if let firstRefusal = results.firstIndex(of: false) {
                #expect(!results[firstRefusal...].contains(true), "thread \(thread) was accepted after a refusal")
            }
        }
        // what was loaded was asked for, and counted once
        let snapshot = UInt64(try store.read { $0.txn.snapshotID })
        let loaded = nodes.filter { cache.contains($0, snapshot: snapshot, countingUse: false) }
        let asked = askedFor.withLock { $0 }
        #expect(loaded.allSatisfy { asked.contains($0) })
        #expect(cache.statistics.prefetched[0] == loaded.count)
    }

    /// A store with every prefetcher on, opened (warm start: the whole store in chunks) while
    /// readers search and the writer commits; answers (graph and exhaustive) checked against the
    /// readers' snapshots.
    /// Then the store is released while reader threads that hold it only weakly keep searching,
    /// and so keep queueing prefetches: the last release closes it, prefetch thread included.
    @Test func searchesStayExactWhilePrefetchersRunAndClosingStopsThem() throws {
        let history = CommittedHistory()
        let problems = ProblemLog()
        do {
            // built without prefetchers, closed, then opened again below with all of them
            let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 0))
            try store.put((0..<2_500).map { VectorItem(id: UInt64(10_000_000 + $0), vector: versionedVector(id: UInt64(10_000_000 + $0), version: 0, dimension: 16)) })
        }
        weak var environment: Environment?
        let weakStore: WeakBox<FeatureStore>
        let closing = Atomic<Bool>(false)
        var searchers: [DispatchSemaphore] = []
        do {
            let store = try FeatureStore(at: temporary.storeURL, options: options(cacheBytes: 16 << 20, prefetch: PrefetchOptions(), dimension: nil))
            weakStore = WeakBox(store)
            environment = store.environment
            let writer = ModelWriter(store: store, history: history, problems: problems, seed: 9, hotQueries: 4)
            // the 2,500 vectors of the first opening are part of every snapshot
            writer.adopt(try store.read { txn in
                var all: CommittedHistory.State = [:]
                try txn.forEach { all[$0.id] = $0.vector; return true }
                return all
            })
            try writer.batchPut(count: 64)
            // readers hold the store weakly (per round), so only this scope keeps it open
            let readerStore = weakStore
            try interleave(readers: 4, minimumRounds: 5, steps: 40, history: history, round: { reader, index, round in
                var random = SeededGenerator(seed: UInt64(reader * 100_000 + index))
                guard let store = readerStore.value else { return problems.record("reader \(reader): the store closed early") }
                do {
                    try store.read { txn in
                        let snapshot = txn.txn.snapshotID
                        guard let state = history.state(at: snapshot) else { return problems.record("snapshot \(snapshot) was never recorded") }
                        for _ in 0..<4 {
                            let query = random.gaussianVector(16)
                            problems.record(searchProblems(in: try txn.nearest(to: query, count: 5), for: query, count: 5, state: state, exhaustive: false, context: "reader \(reader) at \(snapshot)"))
                        }
                        // exhaustive too: 16 dimensions and over 1,000 vectors, so through the
                        // snapshot's shared KD-tree (`KDTreeSlot`); for a vector an aborted write
                        // stored, when there is one
                        let query = history.probe(using: &random) ?? random.gaussianVector(16)
                        problems.record(searchProblems(in: try txn.exactNearest(to: query, count: 5), for: query, count: 5, state: state, exhaustive: true, context: "reader \(reader) at \(snapshot), exact"))
                        if index % 4 == 0 {
                            round.count()
                            history.waitForCommit(after: snapshot)
                            let query = random.gaussianVector(16)
                            problems.record(searchProblems(in: try txn.nearest(to: query, count: 5), for: query, count: 5, state: state, exhaustive: false, context: "older reader \(reader) at \(snapshot)"))
                        }
                    }
                } catch {
                    problems.record("reader \(reader): \(error)")
                }
            }, write: { step in
                try writer.transaction(operations: 1 + step % 3, abort: step % 5 == 4)
            })
            #expect(problems.all.isEmpty, "\(problems.all.count) problems: \(problems.all.prefix(5))")
            let prefetched = try #require(store.cacheStatistics).prefetchers.map(\.prefetched).reduce(0, +)
            #expect(prefetched > 0)

            // closing while searches queue prefetches: searchers hold the store only per search,
            // and take it no more once it is closing (four overlapping searches would otherwise
            // keep it alive between them for as long as they run)
            let searching = DispatchSemaphore(value: 0)
            searchers = (0..<4).map { reader in
                onNewThread {
                    var random = SeededGenerator(seed: UInt64(1_000 + reader))
                    for round in 0..<10_000 {
                        guard !closing.load(ordering: .acquiring), let store = readerStore.value else { return }
                        _ = try? store.nearest(to: random.gaussianVector(16), count: 5)
                        if round == 3 { searching.signal() }
                    }
                    searching.signal()
                    problems.record("searcher \(reader): the store was never closed")
                }
            }
            for _ in 0..<4 { searching.wait() }
            closing.store(true, ordering: .releasing)
        }   // the last strong reference outside the searchers in flight goes here
        for searcher in searchers { searcher.wait() }
        // whichever thread released it last ran its deinit, which stopped the prefetch thread
        // and waited for it to let go of the environment
        #expect(weakStore.value == nil)
        #expect(environment == nil)
        #expect(problems.all.isEmpty, "\(problems.all.prefix(5))")
    }
}

/// A weak reference other threads may read.
final class WeakBox<T: AnyObject & Sendable>: Sendable {
    private let reference: Locked<Weak>
    private struct Weak { weak var value: T? }
    init(_ value: T) { reference = Locked(Weak(value: value)) }
    var value: T? { reference.withLock { $0.value } }
}
