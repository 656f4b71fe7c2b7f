import Foundation
import Synchronization
import Testing
@testable import FeatureMemory

/// The per-snapshot location tables (`SnapshotLocations`, handed out by `SnapshotLocationSlot`)
/// under many reader threads and one writer. Their contract: a reader gets the table of its own
/// snapshot and map generation or none (an older reader), never another snapshot's; every
/// address in a table is one a reader of that snapshot recorded; a graph record's length is
/// always the one stored with its address; nothing is kept for nodes past the table's capacity.
@Suite(.timeLimit(.minutes(10)))
struct SnapshotLocationsConcurrencyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// Stand-in map pages: for every snapshot, a record per node whose bytes name both, at an
    /// address no other snapshot uses (as LMDB's copy-on-write pages would be while readers hold them).
    final class FakePages: @unchecked Sendable {
        // @unchecked: filled in init, only read after.
        static let recordBytes = 64
        let snapshots: Int
        let nodes: Int
        private let memory: UnsafeMutableRawPointer

        init(snapshots: Int, nodes: Int) {
            self.snapshots = snapshots
            self.nodes = nodes
            memory = .allocate(byteCount: (snapshots + 1) * nodes * Self.recordBytes, alignment: 64)
            for snapshot in 0...snapshots {
                for node in 0..<nodes {
                    let record = memory + (snapshot * nodes + node) * Self.recordBytes
                    record.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: snapshot &+ node), count: Self.recordBytes)
                    // byte 1 is a vector record's codec: raw, so `noteCheckedVectorRecord` keeps it
                    record.storeBytes(of: VectorRecord.Codec.raw.rawValue, toByteOffset: 1, as: UInt8.self)
                    record.storeBytes(of: UInt32(snapshot), toByteOffset: 4, as: UInt32.self)
                    record.storeBytes(of: UInt32(node), toByteOffset: 8, as: UInt32.self)
                }
            }
        }

        deinit { memory.deallocate() }

        func record(_ snapshot: Int, _ node: UInt32) -> UnsafeRawPointer {
            UnsafeRawPointer(memory + (snapshot * nodes + Int(node)) * Self.recordBytes)
        }

        /// A length that differs between neighbouring snapshots and nodes.
        func length(_ snapshot: Int, _ node: UInt32) -> Int { 16 + (snapshot * 31 + Int(node) * 7) % 48 }

        func graphRecord(_ snapshot: Int, _ node: UInt32) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: record(snapshot, node), count: length(snapshot, node))
        }

        /// Where a snapshot's layer-0 links of `node` lie: inside its record, past the header.
        func links(_ snapshot: Int, _ node: UInt32) -> UnsafeRawPointer { record(snapshot, node) + 16 }
    }

    final class TableCount: Sendable {
        let value = Atomic<Int>(0)
    }

    // the shape of snapshot s: its node bound grows, the map is resized every 40 commits
    static func capacity(_ snapshot: Int) -> Int { 16 + snapshot / 2 }
    static func generation(_ snapshot: Int) -> Int { snapshot / 40 }
    static func entry(_ snapshot: Int) -> (node: UInt32, level: Int)? {
        snapshot % 5 == 0 ? nil : (UInt32(snapshot % capacity(snapshot)), snapshot % 7)
    }

    /// Checks `table` as snapshot `snapshot` of `pages` describes it, filling what is missing as a
    /// reader does; returns what is wrong.
    static func check(
        _ table: SnapshotLocations, snapshot: Int, pages: FakePages, using random: inout SeededGenerator
    ) -> [String] {
        var problems: [String] = []
        let capacity = Self.capacity(snapshot)
        if table.snapshotID != snapshot || table.mapGeneration != generation(snapshot) || table.capacity < capacity {
            return ["asked for snapshot \(snapshot) (generation \(generation(snapshot))), got \(table.snapshotID) (\(table.mapGeneration)), capacity \(table.capacity)"]
        }
        switch table.entryPoint {
        case nil: table.setEntryPoint(entry(snapshot))
        case .some(let seen):
            let expected = entry(snapshot)
            if seen?.node != expected?.node || seen?.level != expected?.level {
                problems.append("snapshot \(snapshot): entry point \(String(describing: seen)), expected \(String(describing: expected))")
            }
        }
        for _ in 0..<24 {
            let node = UInt32.random(in: 0..<UInt32(table.capacity + 4), using: &random)
            let inside = Int(node) < table.capacity
            if let address = table.vectorRecord(node) {
                if !inside || address != pages.record(snapshot, node) {
                    problems.append("snapshot \(snapshot) node \(node): vector of snapshot \(address.load(fromByteOffset: 4, as: UInt32.self)) node \(address.load(fromByteOffset: 8, as: UInt32.self))")
                }
            } else if Bool.random(using: &random) {
                table.setVectorRecord(node, pages.record(snapshot, node))
            } else {
                table.noteCheckedVectorRecord(node, pages.graphRecord(snapshot, node))
            }
            if let links = table.layerZeroLinks(node) {
                if !inside || links != pages.links(snapshot, node) { problems.append("snapshot \(snapshot) node \(node): links of another record") }
            } else {
                table.setLayerZeroLinks(node, pages.links(snapshot, node))
            }
            if let record = table.graphRecord(node) {
                if !inside || record.baseAddress != pages.record(snapshot, node) || record.count != pages.length(snapshot, node) {
                    problems.append("snapshot \(snapshot) node \(node): graph record of \(record.count) bytes at another address or length")
                }
            } else {
                table.setGraphRecord(node, pages.graphRecord(snapshot, node))
            }
            if !inside && (table.vectorRecord(node) != nil || table.layerZeroLinks(node) != nil || table.graphRecord(node) != nil) {
                problems.append("snapshot \(snapshot): node \(node) kept past capacity \(table.capacity)")
            }
        }
        return problems
    }

    /// Six readers take the table of the newest snapshot (some keep theirs across the next
    /// commit, becoming older readers), read what other readers recorded and record what is
    /// missing, while the writer commits 240 snapshots with a map resize every 40.
    @Test func readersGetOnlyTheirSnapshotsTableAndAddresses() throws {
        let commits = 240
        let pages = FakePages(snapshots: commits, nodes: Self.capacity(commits) + 4)
        let slot = SnapshotLocationSlot()
        let history = CommittedHistory()
        let problems = ProblemLog()
        let tablesGiven = TableCount()
        history.record([:], at: 1)
        try interleave(readers: 6, minimumRounds: 20, steps: commits - 1, history: history, round: { reader, index, round in
            var random = SeededGenerator(seed: UInt64(reader * 100_000 + index))
            let snapshot = history.latestSnapshot
            // a table for `snapshot`, or nil, which only a reader of an older snapshot than one
            // some reader already asked for may get
            func table(_ what: String) -> SnapshotLocations? {
                let table = slot.table(snapshotID: snapshot, mapGeneration: Self.generation(snapshot), capacity: Self.capacity(snapshot))
                if table == nil && history.latestSnapshot <= snapshot {
                    problems.record("\(what): no table for the newest snapshot \(snapshot)")
                }
                if table != nil { tablesGiven.value.add(1, ordering: .relaxed) }
                return table
            }
            let first = table("reader \(reader)")
            if let first { problems.record(Self.check(first, snapshot: snapshot, pages: pages, using: &random)) }
            if index % 4 == 0 {
                // hold the snapshot across a commit: the table in hand stays valid, and asking
                // again gives it back or nothing
                round.count()
                history.waitForCommit(after: snapshot)
                if let first { problems.record(Self.check(first, snapshot: snapshot, pages: pages, using: &random)) }
                if let again = table("older reader \(reader)") {
                    if again !== first { problems.record("snapshot \(snapshot): another table than before the commit") }
                    problems.record(Self.check(again, snapshot: snapshot, pages: pages, using: &random))
                }
            }
        }, write: { step in
            history.record([:], at: step + 2)
        })
        #expect(problems.all.isEmpty, "\(problems.all.count) problems: \(problems.all.prefix(5))")
        // tables were handed out and checked, not only refused
        #expect(tablesGiven.value.load(ordering: .relaxed) > commits)
    }

    /// Readers search a store (no node or result cache, so every lookup that can goes through
    /// the location table of its snapshot) while one writer puts, updates, deletes (nodes are
    /// reused), batch-puts and aborts; every answer is checked against what the reader's snapshot
    /// holds, and some readers keep their snapshot across commits.
    @Test func searchesMatchTheirSnapshotWhileOneWriterCommits() throws {
        let store = try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            dimension: 20, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 32), durability: .noSync,
            initialMapSize: 64 << 20, cacheBytes: 0, prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false),
            resultCacheEntries: 0))
        let history = CommittedHistory()
        let problems = ProblemLog()
        let writer = ModelWriter(store: store, history: history, problems: problems, seed: 41)
        try writer.batchPut(count: 300)
        try interleave(readers: 4, minimumRounds: 5, steps: 80, history: history, round: { reader, index, round in
            var random = SeededGenerator(seed: UInt64(reader * 100_000 + index))
            do {
                try store.read { txn in
                    let snapshot = txn.txn.snapshotID
                    guard let state = history.state(at: snapshot) else {
                        problems.record("snapshot \(snapshot) was never recorded")
                        return
                    }
                    try Self.search(txn, state: state, random: &random, problems: problems, context: "reader \(reader) at \(snapshot)",
                                    probe: history.probe(using: &random))
                    if index % 5 == 0 {
                        round.count()
                        history.waitForCommit(after: snapshot)
                        try Self.search(txn, state: state, random: &random, problems: problems, context: "older reader \(reader) at \(snapshot)")
                    }
                }
            } catch {
                problems.record("reader \(reader): \(error)")
            }
        }, write: { step in
            switch step % 10 {
            case 5: try writer.batchPut(count: 70)
            case 3, 8: try writer.transaction(operations: 3, abort: true)
            default: try writer.transaction(operations: 1 + step % 4)
            }
        })
        #expect(problems.all.isEmpty, "\(problems.all.count) problems: \(problems.all.prefix(5))")
        #expect(try store.read { try $0.ids() } == writer.state.keys.sorted())
    }

    /// Graph and exhaustive searches, the stored ids and a few stored vectors of `txn`, checked
    /// against `state`.
    static func search(
        _ txn: ReadTransaction, state: CommittedHistory.State, random: inout SeededGenerator, problems: ProblemLog,
        context: String, probe: [Float]? = nil
    ) throws {
        let ids = state.keys.sorted()
        if let probe {
            // a vector an aborted write stored: no snapshot holds it
            problems.record(searchProblems(in: try txn.nearest(to: probe, count: 3), for: probe, count: 3, state: state, exhaustive: false, context: "\(context), probe"))
            problems.record(searchProblems(in: try txn.exactNearest(to: probe, count: 3), for: probe, count: 3, state: state, exhaustive: true, context: "\(context), exact probe"))
        }
        for _ in 0..<3 {
            let query = ids.isEmpty || Bool.random(using: &random)
                ? random.gaussianVector(txn.store.dimension) : state[ids[Int.random(in: 0..<ids.count, using: &random)]]!
            problems.record(searchProblems(in: try txn.nearest(to: query, count: 5), for: query, count: 5, state: state, exhaustive: false, context: "\(context), graph"))
        }
        let query = random.gaussianVector(txn.store.dimension)
        problems.record(searchProblems(in: try txn.exactNearest(to: query, count: 5), for: query, count: 5, state: state, exhaustive: true, context: "\(context), exact"))
        if try txn.ids() != ids { problems.record("\(context): ids differ from the snapshot's") }
        for _ in 0..<3 where !ids.isEmpty {
            let id = ids[Int.random(in: 0..<ids.count, using: &random)]
            if try txn.vector(for: id).bitPatterns != state[id]!.bitPatterns { problems.record("\(context): vector of \(id) differs") }
        }
    }
}
