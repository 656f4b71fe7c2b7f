import Foundation
import Testing
@testable import FeatureMemory

// Support for tests where many reader threads search a store while one writer commits: the
// writer records what every committed snapshot holds, and each reader checks what it saw against
// its own snapshot's record. Events are ordered by handshakes (semaphores, a condition), never by
// sleeps or clocks, and every loop is bounded by a count.

/// What each committed snapshot of a store holds (id → vector), recorded by the test's one writer.
final class CommittedHistory: @unchecked Sendable {
    // @unchecked: every property changes and is read under `condition`.
    typealias State = [UInt64: [Float]]

    private let condition = NSCondition()
    private var states: [Int: State] = [:]
    private var latest = -1
    private var finished = false
    private var probes: [[Float]] = []

    /// Records that snapshot `snapshot` holds `state`. Inside a write block this is called before
    /// the commit, so no reader can open the snapshot before it is recorded; a write that then
    /// aborts leaves an entry no reader sees, replaced by the next transaction, which gets its id.
    func record(_ state: State, at snapshot: Int) {
        condition.lock()
        states[snapshot] = state
        latest = max(latest, snapshot)
        condition.broadcast()
        condition.unlock()
    }

    /// What `snapshot` holds, waiting for the writer to record it when it records after its
    /// commits (batch puts); nil when the writer finished without recording it.
    func state(at snapshot: Int) -> State? {
        condition.lock()
        defer { condition.unlock() }
        while states[snapshot] == nil && !finished { condition.wait() }
        return states[snapshot]
    }

    /// Waits until a snapshot newer than `snapshot` is recorded, or the writer finished.
    func waitForCommit(after snapshot: Int) {
        condition.lock()
        while latest <= snapshot && !finished { condition.wait() }
        condition.unlock()
    }

    /// The writer is done: nothing more will be recorded.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Keeps vectors that aborted writes stored, for readers to search for: no snapshot holds
    /// them, so a search that finds one at distance 0 saw an aborted write.
    func addProbes(_ vectors: [[Float]]) {
        condition.lock()
        probes = Array((probes + vectors).suffix(64))
        condition.unlock()
    }

    /// One of the probes, if any.
    func probe(using random: inout SeededGenerator) -> [Float]? {
        condition.lock()
        defer { condition.unlock() }
        return probes.isEmpty ? nil : probes[Int.random(in: 0..<probes.count, using: &random)]
    }

    /// The newest snapshot recorded so far (-1 before the first).
    var latestSnapshot: Int {
        condition.lock()
        defer { condition.unlock() }
        return latest
    }

    /// Whether the writer is done.
    var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }
}

/// A value shared between threads, behind a lock. An `NSLock` rather than `Mutex`: on Linux the
/// Synchronization library is not built for ThreadSanitizer, which then reports every access
/// under a `Mutex` as a race, and these tests are meant to run under it (`--sanitize=thread`).
final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Problems seen on any thread, reported by the test's own thread.
final class ProblemLog: Sendable {
    private let list = Locked<[String]>([])
    func record(_ problem: String) { list.withLock { $0.append(problem) } }
    func record(_ problems: [String]) { if !problems.isEmpty { list.withLock { $0.append(contentsOf: problems) } } }
    var all: [String] { list.withLock { $0 } }
}

/// Runs `body` on a new thread; the returned semaphore is signalled when it ends.
func onNewThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        body()
        done.signal()
    }
    thread.start()
    return done
}

/// The vector of version `version` of `id`: every version differs, so a result computed from
/// another snapshot's vector shows as a wrong distance.
func versionedVector(id: UInt64, version: Int, dimension: Int) -> [Float] {
    var random = SeededGenerator(seed: id &* 1_000_003 &+ UInt64(version))
    return random.gaussianVector(dimension)
}

/// What is wrong with `results`, returned for `query` by a search of a snapshot holding `state`
/// (L2). Every result must be an id the snapshot holds, at the exact distance of the vector the
/// snapshot holds for it, ascending, without repeats; an exhaustive search must also return the
/// `k` smallest distances.
func searchProblems(
    in results: [SearchResult], for query: [Float], count k: Int, state: CommittedHistory.State, exhaustive: Bool,
    context: @autoclosure () -> String
) -> [String] {
    var found: [String] = []
    if Set(results.map(\.id)).count != results.count { found.append("\(context()): repeated ids \(results.map(\.id))") }
    if results.map(\.distance) != results.map(\.distance).sorted() { found.append("\(context()): not ascending") }
    if results.count > k || (results.isEmpty && !state.isEmpty) { found.append("\(context()): \(results.count) results") }
    for result in results {
        guard let vector = state[result.id] else {
            found.append("\(context()): id \(result.id) is not in this snapshot")
            continue
        }
        let expected = Reference.l2Squared(query, vector)
        if abs(Double(result.distance) - expected) > 1e-4 * max(1, expected) {
            found.append("\(context()): id \(result.id) at \(result.distance), its vector in this snapshot at \(expected)")
        }
    }
    if exhaustive {
        let best = state.map { Reference.l2Squared(query, $0.value) }.sorted().prefix(k)
        if results.count != best.count {
            found.append("\(context()): \(results.count) results of \(best.count)")
        } else if zip(results, best).contains(where: { abs(Double($0.distance) - $1) > 1e-4 * max(1, $1) }) {
            found.append("\(context()): distances \(results.map(\.distance)), expected \(Array(best))")
        }
    }
    return found
}

/// The one writer of a concurrency test: random puts, updates, deletes (whose nodes later puts
/// reuse), batch puts and aborted transactions, each committed state recorded in `history`.
/// Single-threaded: runs on the test's thread.
final class ModelWriter {
    struct Aborted: Error {}

    let store: FeatureStore
    let history: CommittedHistory
    let dimension: Int
    /// What the last commit left.
    private(set) var state: CommittedHistory.State = [:]
    private var versions: [UInt64: Int] = [:]
    private var nextID: UInt64 = 0
    private var random: SeededGenerator
    /// Vectors searches are steered to: puts sometimes store one of them exactly, so that answers
    /// for them change from snapshot to snapshot.
    let hotQueries: [[Float]]
    /// Problems seen by searches inside the writer's own transactions.
    let problems: ProblemLog
    /// Vectors the last aborted transaction stored: the next transaction searches for them.
    private var abortedVectors: [[Float]] = []

    init(store: FeatureStore, history: CommittedHistory, problems: ProblemLog, seed: UInt64, hotQueries: Int = 0) {
        self.store = store
        self.history = history
        self.problems = problems
        dimension = store.dimension
        random = SeededGenerator(seed: seed)
        var queries = SeededGenerator(seed: seed ^ 0x5EED)
        self.hotQueries = (0..<hotQueries).map { _ in queries.gaussianVector(store.dimension) }
    }

    /// Starts from what the store already holds (before any of this writer's commits).
    func adopt(_ existing: CommittedHistory.State) {
        state = existing
    }

    private func newVersion(of id: UInt64) -> [Float] {
        let version = (versions[id] ?? 0) + 1
        versions[id] = version
        if !hotQueries.isEmpty && Int.random(in: 0..<4, using: &random) == 0 {
            // a vector some readers search for, nudged so that two ids never tie exactly
            let hot = hotQueries[Int.random(in: 0..<hotQueries.count, using: &random)]
            return hot.enumerated().map { $0.offset == 0 ? $0.element + Float(id) * 1e-3 : $0.element }
        }
        return versionedVector(id: id, version: version, dimension: dimension)
    }

    private func randomExistingID(in state: CommittedHistory.State) -> UInt64? {
        guard !state.isEmpty else { return nil }
        // dictionary order is not seeded; sort for reproducible choices
        let ids = state.keys.sorted()
        return ids[Int.random(in: 0..<ids.count, using: &random)]
    }

    /// One batch put of `count` items through `FeatureStore.put(_:)` (searched in parallel from 64
    /// items, reading the writer's cache): new ids, a quarter replacing stored ones, some twice.
    func batchPut(count: Int) throws {
        var pending = state
        var items: [VectorItem] = []
        for index in 0..<count {
            let id: UInt64
            if index % 4 == 3, let existing = randomExistingID(in: state) {
                id = existing
            } else if index % 10 == 9, let earlier = items.last {
                id = earlier.id                     // the same id twice in one batch: the last wins
            } else {
                id = nextID
                nextID += 1
            }
            let vector = newVersion(of: id)
            items.append(VectorItem(id: id, vector: vector))
            pending[id] = vector
        }
        try store.put(items)
        // recorded after the commit: readers of this snapshot wait for it in `history.state(at:)`
        let snapshot = try store.read { $0.txn.snapshotID }
        history.record(pending, at: snapshot)
        state = pending
    }

    /// One write transaction of `operations` random changes; when `abort`, it throws at the end
    /// and nothing of it may be seen afterwards. Searches inside it are checked against its own
    /// pending state (they read the writer's cache).
    func transaction(operations: Int, abort: Bool = false) throws {
        var pending: CommittedHistory.State = [:]
        var stored: [[Float]] = []
        var snapshot = 0
        do {
            try store.write { txn in
                pending = state
                stored = []
                for _ in 0..<operations {
                    let choice = Int.random(in: 0..<10, using: &random)
                    if choice < 4 || pending.count < 8 {
                        let id = nextID
                        nextID += 1
                        let vector = newVersion(of: id)
                        try txn.put(vector, for: id)
                        pending[id] = vector
                        stored.append(vector)
                    } else if choice < 7, let id = randomExistingID(in: pending) {
                        let vector = newVersion(of: id)
                        try txn.update(id, vector: vector)
                        pending[id] = vector
                        stored.append(vector)
                    } else if let id = randomExistingID(in: pending) {
                        try txn.delete(id)
                        pending[id] = nil
                    }
                }
                checkSearches(in: txn, state: pending, context: abort ? "aborting write" : "write", probes: abortedVectors)
                snapshot = txn.txn.snapshotID
                if abort { throw Aborted() }
                history.record(pending, at: snapshot)
            }
        } catch is Aborted {
            abortedVectors = stored
            history.addProbes(stored)
            return
        }
        abortedVectors = []
        state = pending
    }

    /// Checks exhaustive and graph searches inside a write transaction against its own state:
    /// for a random query and for each of `probes` (what the last aborted transaction stored).
    func checkSearches(in txn: ReadTransaction, state: CommittedHistory.State, context: String, probes: [[Float]] = []) {
        do {
            for query in [randomQuery(from: state)] + probes {
                let graph = try txn.nearest(to: query, count: 5)
                problems.record(searchProblems(in: graph, for: query, count: 5, state: state, exhaustive: false, context: "\(context), graph"))
                let exact = try txn.exactNearest(to: query, count: 5)
                problems.record(searchProblems(in: exact, for: query, count: 5, state: state, exhaustive: true, context: "\(context), exact"))
            }
        } catch {
            problems.record("\(context): \(error)")
        }
    }

    /// A query: a hot one, a stored vector, or a fresh one.
    func randomQuery(from state: CommittedHistory.State) -> [Float] {
        switch Int.random(in: 0..<3, using: &random) {
        case 0 where !hotQueries.isEmpty: return hotQueries[Int.random(in: 0..<hotQueries.count, using: &random)]
        case 1: if let id = randomExistingID(in: state) { return state[id]! }
        default: break
        }
        return random.gaussianVector(dimension)
    }
}

/// One round of a reader thread, counted once towards the writer's next step.
final class ReaderRound: @unchecked Sendable {
    // @unchecked: used by its reader thread only.
    private let progress: DispatchSemaphore
    private var counted = false
    init(progress: DispatchSemaphore) { self.progress = progress }

    /// Counts this round now: a reader that goes on to wait for the next commit calls this first.
    func count() {
        guard !counted else { return }
        counted = true
        progress.signal()
    }
}

/// Runs `readers` reader threads against the writer steps of `write` on this thread. Before each
/// step the writer waits until the readers have counted `readers` rounds between them, so reads
/// and commits interleave however the threads are scheduled; readers never wait for the writer,
/// except one that holds its snapshot until the next commit after counting its round. Each reader
/// runs `round(reader, index, round)` until the writer is done and it has run `minimumRounds`.
func interleave(
    readers: Int, minimumRounds: Int, steps: Int, history: CommittedHistory,
    round: @escaping @Sendable (_ reader: Int, _ index: Int, _ round: ReaderRound) -> Void,
    write: (_ step: Int) throws -> Void
) throws {
    let progress = DispatchSemaphore(value: 0)
    let threads = (0..<readers).map { reader in
        onNewThread {
            var index = 0
            while !history.isFinished || index < minimumRounds {
                let counter = ReaderRound(progress: progress)
                round(reader, index, counter)
                counter.count()
                index += 1
            }
        }
    }
    defer {
        history.finish()
        for thread in threads { thread.wait() }
    }
    for step in 0..<steps {
        for _ in 0..<readers { progress.wait() }
        try write(step)
    }
}
