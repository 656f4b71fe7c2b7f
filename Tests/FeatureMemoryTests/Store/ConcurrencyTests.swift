import Foundation
import Synchronization
import Testing
@testable import FeatureMemory

/// Readers on several threads while one thread writes: each read is one consistent snapshot,
/// and readers never wait for the writer. Events are ordered with semaphores, never with sleeps.
struct ConcurrencyTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func anOpenReadKeepsItsSnapshotWhileAnotherThreadCommits() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 1], for: 1, label: "old")
        let problems = ProblemLog()
        let opened = DispatchSemaphore(value: 0)
        let committed = DispatchSemaphore(value: 0)
        let done = onNewThread {
            do {
                try store.read { txn in
                    let before = (try txn.count(), try txn.get(1))
                    opened.signal()
                    committed.wait()           // the writer has committed by now
                    let after = (try txn.count(), try txn.get(1))
                    if after.0 != before.0 || after.1 != before.1 { problems.record("snapshot changed: \(after)") }
                    if after.0 != 1 || after.1.vector != [1, 1] { problems.record("not the old value: \(after)") }
                    if try txn.contains(2) { problems.record("sees id 2 put after it opened") }
                    if try txn.ids(withLabel: "new") != [] { problems.record("sees the new label") }
                }
            } catch {
                problems.record("reader: \(error)")
            }
        }
        opened.wait()
        try store.write { txn in
            try txn.put([2, 2], for: 1, label: "new")
            try txn.put([3, 3], for: 2)
        }
        committed.signal()
        done.wait()
        #expect(problems.all.isEmpty, "\(problems.all)")
        // a read opened after the commit sees it
        #expect(try store.get(1).vector == [2, 2])
        #expect(try store.count() == 2)
    }

    @Test func aReadDoesNotSeeAWriteInProgress() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([1, 1], for: 1)
        let problems = ProblemLog()
        let written = DispatchSemaphore(value: 0)
        let checked = DispatchSemaphore(value: 0)
        let writer = onNewThread {
            do {
                try store.write { txn in
                    try txn.delete(1)
                    try txn.put([5, 5], for: 5)
                    written.signal()
                    checked.wait()             // a reader looked while this was uncommitted
                }
            } catch {
                problems.record("writer: \(error)")
            }
        }
        written.wait()
        let seen = try store.read { txn in (try txn.ids(), try txn.count()) }
        checked.signal()
        writer.wait()
        #expect(seen.0 == [1])
        #expect(seen.1 == 1)
        #expect(problems.all.isEmpty, "\(problems.all)")
        #expect(try store.read { try $0.ids() } == [5])
    }

    @Test func readersSeeConsistentSnapshotsWhileOneThreadWrites() throws {
        let dimension = 16
        // a map large enough that it never grows here: growing waits for every open read
        // (see readersKeepReadingWhileTheWriterGrowsTheMap)
        let store = try temporary.store(dimension: dimension, hnsw: .cheap, initialMapSize: 64 << 20)
        let problems = ProblemLog()
        let writerDone = Atomic<Bool>(false)
        let commits = 200
        // each commit adds id i and rewrites id 0; every vector of a commit is filled with i,
        // so a torn view shows as vectors of different fills or a count off the ids
        try store.put([Float](repeating: 0, count: dimension), for: 0)
        let readers = (0..<3).map { _ in
            onNewThread {
                var lastCount = 0
                var reads = 0
                while !writerDone.load(ordering: .acquiring) || reads < 5 {
                    reads += 1
                    do {
                        try store.read { txn in
                            let count = try txn.count()
                            let ids = try txn.ids()
                            let fill = try txn.get(0).vector[0]
                            if ids.count != count { problems.record("count \(count) but \(ids.count) ids") }
                            if ids != Array(0..<UInt64(count)) { problems.record("ids not 0..<\(count)") }
                            if Int(fill) != count - 1 { problems.record("id 0 holds \(fill) with \(count) ids") }
                            if let last = ids.last, try txn.get(last).vector != [Float](repeating: Float(last), count: dimension) {
                                problems.record("id \(last) torn")
                            }
                            if try txn.count() != count { problems.record("count changed inside one read") }
                            if count < lastCount { problems.record("count went back from \(lastCount) to \(count)") }
                            lastCount = count
                        }
                    } catch {
                        problems.record("reader: \(error)")
                    }
                }
            }
        }
        for i in 1...commits {
            let fill = [Float](repeating: Float(i), count: dimension)
            try store.write { txn in
                try txn.put(fill, for: UInt64(i))
                try txn.put(fill, for: 0)
            }
        }
        writerDone.store(true, ordering: .releasing)
        for reader in readers { reader.wait() }
        #expect(problems.all.isEmpty, "\(problems.all.prefix(5))")
        #expect(try store.count() == commits + 1)
    }

    @Test func writersOnManyThreadsAreSerializedAndAllLand() throws {
        let store = try temporary.store(dimension: 4)
        let problems = ProblemLog()
        let threads = 4, perThread = 50
        let writers = (0..<threads).map { t in
            onNewThread {
                for i in 0..<perThread {
                    let id = UInt64(t * 1000 + i)
                    do {
                        try store.write { txn in
                            try txn.put([Float(t), Float(i), 0, 1], for: id, label: "t\(t)")
                            let count = try txn.count()
                            try txn.setUserData(Data("\(count)".utf8), for: id)
                        }
                    } catch {
                        problems.record("writer \(t): \(error)")
                    }
                }
            }
        }
        for writer in writers { writer.wait() }
        #expect(problems.all.isEmpty, "\(problems.all.prefix(5))")
        #expect(try store.count() == threads * perThread)
        // each transaction saw every earlier one: the counts it recorded are 1…200, once each
        var counts: [Int] = []
        try store.read { txn in try txn.forEach { counts.append(Int(String(decoding: $0.metadata.userData!, as: UTF8.self))!); return true } }
        #expect(counts.sorted() == Array(1...(threads * perThread)))
        for t in 0..<threads {
            #expect(try store.read { try $0.ids(withLabel: "t\(t)") }.count == perThread)
        }
    }

    /// Growing the map needs every read of the process closed (LMDB remaps the file), so the
    /// writer waits for open reads there; readers that keep coming can delay it indefinitely
    /// (the lock prefers readers). Here each reader does a bounded number of reads.
    @Test func readersKeepReadingWhileTheWriterGrowsTheMap() throws {
        let dimension = 2_048
        let store = try temporary.store(dimension: dimension, hnsw: .cheap, initialMapSize: 1 << 16)
        let problems = ProblemLog()
        let started = DispatchSemaphore(value: 0)
        let readers = (0..<2).map { _ in
            onNewThread {
                started.signal()
                for _ in 0..<100 {
                    do {
                        try store.read { txn in
                            let ids = try txn.ids()
                            if ids.count != (try txn.count()) { problems.record("count off the ids") }
                            if ids != Array(0..<UInt64(ids.count)) { problems.record("ids not a prefix") }
                            if let last = ids.last, try txn.get(last).vector[0] != Float(last) { problems.record("id \(last) wrong") }
                        }
                    } catch {
                        problems.record("reader: \(error)")
                    }
                }
            }
        }
        for _ in readers { started.wait() }
        for start in stride(from: 0, to: 400, by: 20) {
            try store.put((start..<(start + 20)).map { i in
                VectorItem(id: UInt64(i), vector: [Float(i)] + patternVector(id: UInt64(i), dimension: dimension - 1))
            })
        }
        for reader in readers { reader.wait() }
        #expect(problems.all.isEmpty, "\(problems.all.prefix(5))")
        #expect(try store.count() == 400)
        #expect(try store.statistics().mapBytes > 400 * dimension * 4)
    }
}
