import Foundation
import Testing
@testable import FeatureMemory

/// The writer's cache (`WriterCache`): only write transactions change it, and they are
/// serialized; a batch put's parallel searches read it from many threads while the writer lock
/// keeps every other write out. Its contract: it holds exactly the last commit of this writer, so
/// an aborted transaction's changes are never seen afterwards, nor anything once another writer
/// committed in between.
@Suite(.timeLimit(.minutes(10)))
struct WriterCacheConcurrencyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static func values(_ cache: WriterCache, _ node: UInt32) -> [Float]? {
        cache.vector(node).map { pointer, _ in (0..<cache.dimension).map { pointer.load(fromByteOffset: 4 * $0, as: Float.self) } }
    }

    @Test func aRolledBackTransactionLeavesNothingBehind() {
        let cache = WriterCache(dimension: 4, byteBudget: 1 << 20)
        let committed: [Float] = [1, 2, 3, 4], aborted: [Float] = [9, 9, 9, 9]
        let committedLinks = GraphRecord.Node(out: [[1, 2]], in: [[2]]), abortedLinks = GraphRecord.Node(out: [[7]], in: [[]])

        cache.begin(transactionID: 10)
        #expect(!cache.reflects(snapshotID: 9))
        cache.setVector(3, committed, norm: 5.477)
        cache.setNode(3, committedLinks)
        cache.committed(transactionID: 10)
        #expect(cache.reflects(snapshotID: 10))
        #expect(Self.values(cache, 3) == committed)

        // transaction 11 changes node 3, adds node 5, then rolls back
        cache.begin(transactionID: 11)
        #expect(!cache.reflects(snapshotID: 10))       // searches of 10 must not read a cache mid-write
        cache.setVector(3, aborted, norm: 18)
        cache.setVector(5, aborted, norm: 18)
        cache.setNode(3, abortedLinks)
        cache.setNode(5, abortedLinks)
        cache.rolledBack()
        #expect(Self.values(cache, 3) != aborted)
        #expect(Self.values(cache, 5) == nil)
        #expect(cache.node(3) != abortedLinks)
        #expect(cache.node(5) == nil)
        var links = ContiguousArray<UInt32>()
        if cache.appendLinks(of: 3, layer: 0, to: &links) { #expect(Array(links) == [1, 2]) }

        // LMDB gives the next transaction the aborted one's id
        cache.begin(transactionID: 11)
        #expect(Self.values(cache, 3) != aborted)
        #expect(Self.values(cache, 5) == nil)
        cache.setVector(3, committed, norm: 5.477)
        cache.committed(transactionID: 11)
        #expect(cache.reflects(snapshotID: 11))

        // another writer committed 12: nothing of this writer's may be trusted in 13
        cache.begin(transactionID: 13)
        #expect(Self.values(cache, 3) == nil)
        #expect(cache.node(3) == nil)
    }

    /// A commit retried after growing the map begins again with the same id: what the first try
    /// cached is gone.
    @Test func aTransactionBegunAgainStartsEmpty() {
        let cache = WriterCache(dimension: 2, byteBudget: 1 << 20)
        cache.begin(transactionID: 3)
        cache.setVector(1, [Float](arrayLiteral: 1, 1), norm: 1.414)
        cache.committed(transactionID: 3)
        cache.begin(transactionID: 4)
        cache.setVector(1, [Float](arrayLiteral: 2, 2), norm: 2.828)
        cache.begin(transactionID: 4)
        #expect(Self.values(cache, 1) == nil)
    }

    func open(dimension: Int = 16) throws -> FeatureStore {
        try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            dimension: dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 32), durability: .noSync,
            initialMapSize: 64 << 20, cacheBytes: 0, prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false),
            resultCacheEntries: 0))
    }

    /// Graph searches inside a write read vectors from the writer's cache: after a transaction
    /// that updated, deleted or added a vector aborted, the next transaction's searches find the
    /// committed vectors, never the aborted ones.
    @Test func searchesInTheNextWriteNeverSeeAnAbortedWrite() throws {
        let store = try open()
        let dimension = store.dimension
        var state: CommittedHistory.State = [:]
        for id in 0..<200 as Range<UInt64> { state[id] = versionedVector(id: id, version: 0, dimension: dimension) }
        try store.put(state.map { VectorItem(id: $0.key, vector: $0.value) })
        var problems: [String] = []
        for round in 0..<20 {
            let updated = UInt64(round * 7 % 200), deleted = UInt64((round * 13 + 5) % 200), added = UInt64(10_000 + round)
            let updatedTo = versionedVector(id: updated, version: 1_000 + round, dimension: dimension)
            let addedVector = versionedVector(id: added, version: 0, dimension: dimension)
            // warm the cache with the committed vectors first, as the inserts of a commit do
            try store.write { txn in _ = try txn.nearest(to: state[updated]!, count: 5); _ = try txn.nearest(to: state[deleted]!, count: 5) }
            _ = try? store.write { txn in
                try txn.update(updated, vector: updatedTo)
                try txn.delete(deleted)
                try txn.put(addedVector, for: added)
                // the aborting transaction sees its own changes
                let own = try txn.nearest(to: updatedTo, count: 1)
                if own.first != SearchResult(id: updated, distance: 0) { problems.append("round \(round): own update not seen: \(own)") }
                throw ModelWriter.Aborted()
            }
            try store.write { txn in
                for (name, query) in [("updated-to", updatedTo), ("updated", state[updated]!), ("deleted", state[deleted]!), ("added", addedVector)] {
                    let found = try txn.nearest(to: query, count: 5)
                    problems += searchProblems(in: found, for: query, count: 5, state: state, exhaustive: false, context: "round \(round), \(name)")
                }
                if try txn.vector(for: updated).bitPatterns != state[updated]!.bitPatterns { problems.append("round \(round): vector of \(updated) changed") }
                if try !txn.contains(deleted) || txn.contains(added) { problems.append("round \(round): ids changed") }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(5))")
    }

    /// Readers search while the one writer alternates batch puts (whose searches run on every
    /// core and read the writer's cache), plain transactions and aborted ones; the writer checks
    /// searches inside its own transactions against what they hold, readers against their
    /// snapshots. Nothing aborted is ever seen.
    @Test func batchPutsAndAbortedWritesWhileReadersSearch() throws {
        let store = try open(dimension: 24)
        let history = CommittedHistory()
        let problems = ProblemLog()
        let writer = ModelWriter(store: store, history: history, problems: problems, seed: 77)
        try writer.batchPut(count: 200)
        try interleave(readers: 3, minimumRounds: 5, steps: 40, history: history, round: { reader, index, _ in
            var random = SeededGenerator(seed: UInt64(reader * 100_000 + index))
            do {
                try store.read { txn in
                    let snapshot = txn.txn.snapshotID
                    guard let state = history.state(at: snapshot) else { return problems.record("snapshot \(snapshot) was never recorded") }
                    try SnapshotLocationsConcurrencyTests.search(
                        txn, state: state, random: &random, problems: problems, context: "reader \(reader) at \(snapshot)",
                        probe: history.probe(using: &random))
                }
            } catch {
                problems.record("reader \(reader): \(error)")
            }
        }, write: { step in
            switch step % 4 {
            case 0: try writer.batchPut(count: 64 + step)
            case 1: try writer.transaction(operations: 4, abort: true)
            case 2: try writer.transaction(operations: 3)
            default: try writer.transaction(operations: 2, abort: true)
            }
        })
        // and a write after the last abort sees only what was committed
        try store.write { txn in writer.checkSearches(in: txn, state: writer.state, context: "last write") }
        #expect(problems.all.isEmpty, "\(problems.all.count) problems: \(problems.all.prefix(5))")
        #expect(try store.read { try $0.ids() } == writer.state.keys.sorted())
    }
}
