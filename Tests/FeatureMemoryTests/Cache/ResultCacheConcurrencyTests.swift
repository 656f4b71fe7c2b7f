import Foundation
import Synchronization
import Testing
@testable import FeatureMemory

/// The result cache (`ResultCache`) under many reader threads and one writer. Its contract: a
/// lookup returns results only for the exact key (query bits, k, ef) and only ones computed in the
/// reader's own snapshot; results of an older snapshot are never kept once a newer one is seen.
@Suite(.timeLimit(.minutes(10)))
struct ResultCacheConcurrencyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    static let keys: [ResultCache<[SearchResult]>.Key] = (0..<6).flatMap { query in
        [1, 3].flatMap { k in [8, 16].map { ef in ResultCache<[SearchResult]>.Key(k: k, ef: ef, bits: [UInt32(query), 0x3F80_0000]) } }
    }

    /// The answer a search of `snapshot` gives for key number `key`: it names both.
    static func answer(_ key: Int, in snapshot: Int) -> [SearchResult] {
        (0..<keys[key].k).map { SearchResult(id: UInt64(snapshot) << 32 | UInt64(key) << 8 | UInt64($0), distance: Float($0)) }
    }

    /// Six readers look up and insert 24 keys (more than the 16 entries kept) in the newest
    /// snapshot, some keeping theirs across the next commit, while the writer commits 300 times.
    @Test func aReaderOnlyGetsResultsOfItsKeyAndSnapshot() throws {
        let cache = ResultCache<[SearchResult]>(capacity: 16)
        let history = CommittedHistory()
        let problems = ProblemLog()
        let lookups = Counter()
        history.record([:], at: 1)
        try interleave(readers: 6, minimumRounds: 20, steps: 300, history: history, round: { reader, index, round in
            var random = SeededGenerator(seed: UInt64(reader * 100_000 + index))
            let snapshot = history.latestSnapshot
            func use(_ context: String) {
                for _ in 0..<12 {
                    let key = Int.random(in: 0..<Self.keys.count, using: &random)
                    lookups.value.add(1, ordering: .relaxed)
                    if let found = cache.lookup(Self.keys[key], snapshot: snapshot) {
                        if found != Self.answer(key, in: snapshot) {
                            problems.record("\(context) at \(snapshot), key \(key): got \(found.map { String($0.id, radix: 16) })")
                        }
                    } else {
                        cache.insert(Self.keys[key], snapshot: snapshot, results: Self.answer(key, in: snapshot))
                    }
                }
            }
            use("reader \(reader)")
            if index % 4 == 0 {
                round.count()
                history.waitForCommit(after: snapshot)
                use("older reader \(reader)")
            }
        }, write: { step in
            history.record([:], at: step + 2)
        })
        #expect(problems.all.isEmpty, "\(problems.all.count) problems: \(problems.all.prefix(5))")
        // every lookup counted, none lost to a race; and the cache served some
        #expect(cache.counts.lookups == lookups.value.load(ordering: .relaxed))
        let final = history.latestSnapshot
        cache.insert(Self.keys[0], snapshot: final, results: Self.answer(0, in: final))
        let hitsBefore = cache.counts.hits
        #expect(cache.lookup(Self.keys[0], snapshot: final) == Self.answer(0, in: final))
        #expect(cache.counts.hits == hitsBefore + 1)
        // an older snapshot's results are neither served nor kept
        #expect(cache.lookup(Self.keys[0], snapshot: final - 1) == nil)
        cache.insert(Self.keys[1], snapshot: final - 1, results: Self.answer(1, in: final - 1))
        #expect(cache.lookup(Self.keys[1], snapshot: final - 1) == nil)
        #expect(cache.lookup(Self.keys[1], snapshot: final).map { $0 == Self.answer(1, in: final) } ?? true)
    }

    /// Readers repeat a few hot queries (with two counts) through a store with a result cache and
    /// a node cache, each twice per snapshot and again after holding it across a commit, while the
    /// writer keeps storing, updating and deleting vectors at exactly those queries; every answer
    /// must be the reader's own snapshot's.
    @Test func repeatedSearchesMatchTheirSnapshotWhileOneWriterCommits() throws {
        let store = try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            dimension: 16, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 32), durability: .noSync,
            initialMapSize: 64 << 20, cacheBytes: 4 << 20, prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false),
            resultCacheEntries: 8))
        let history = CommittedHistory()
        let problems = ProblemLog()
        let writer = ModelWriter(store: store, history: history, problems: problems, seed: 5, hotQueries: 6)
        let hot = writer.hotQueries
        try writer.batchPut(count: 250)
        try interleave(readers: 4, minimumRounds: 5, steps: 80, history: history, round: { reader, index, round in
            var random = SeededGenerator(seed: UInt64(reader * 100_000 + index))
            do {
                try store.read { txn in
                    let snapshot = txn.txn.snapshotID
                    guard let state = history.state(at: snapshot) else { return problems.record("snapshot \(snapshot) was never recorded") }
                    func ask(_ context: String) throws {
                        for _ in 0..<4 {
                            // mostly hot queries; sometimes a vector an aborted write stored
                            let probe = Int.random(in: 0..<4, using: &random) == 0 ? history.probe(using: &random) : nil
                            let query = probe ?? hot[Int.random(in: 0..<hot.count, using: &random)]
                            let k = Bool.random(using: &random) ? 1 : 5
                            for repeatIndex in 0..<2 {
                                problems.record(searchProblems(
                                    in: try txn.nearest(to: query, count: k), for: query, count: k, state: state, exhaustive: false,
                                    context: "\(context) at \(snapshot), k \(k), \(repeatIndex == 0 ? "first" : "again")"))
                            }
                        }
                    }
                    try ask("reader \(reader)")
                    if index % 3 == 0 {
                        round.count()
                        history.waitForCommit(after: snapshot)
                        try ask("older reader \(reader)")
                    }
                }
            } catch {
                problems.record("reader \(reader): \(error)")
            }
        }, write: { step in
            if step % 10 == 4 {
                try writer.batchPut(count: 64)
            } else {
                try writer.transaction(operations: 2 + step % 3, abort: step % 7 == 6)
            }
        })
        #expect(problems.all.isEmpty, "\(problems.all.count) problems: \(problems.all.prefix(5))")
        // the cache was in the path: a repeat in the final snapshot is a hit
        let before = try #require(store.cacheStatistics?.resultCacheHits)
        let first = try store.nearest(to: hot[0], count: 3)
        #expect(try store.nearest(to: hot[0], count: 3) == first)
        #expect((store.cacheStatistics?.resultCacheHits ?? 0) > before)
    }
}
