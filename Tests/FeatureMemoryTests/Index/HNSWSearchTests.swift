import Foundation
import Testing
@testable import FeatureMemory

/// The graph stays consistent (verify finds nothing) and searchable through inserts, updates
/// and deletes, each in the same transaction as the vector it indexes.
@Suite struct HNSWSearchTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    /// Clustered points, so the graph has real structure to get wrong.
    static func points(_ count: Int, dimension: Int, seed: UInt64) -> [(id: UInt64, vector: [Float])] {
        var random = SeededGenerator(seed: seed)
        let centres = (0..<8).map { _ in random.gaussianVector(dimension) }
        return (0..<count).map { i in
            let centre = centres[Int.random(in: 0..<centres.count, using: &random)]
            return (UInt64(i), centre.map { $0 + 0.3 * random.gaussian() })
        }
    }

    /// Mean recall@k of graph search against the exact answer over `queries`.
    static func recall(
        _ store: FeatureStore, _ items: [(id: UInt64, vector: [Float])], queries: [[Float]], k: Int, ef: Int, metric: Metric
    ) throws -> Double {
        var hits = 0
        for query in queries {
            let expected = Set(Reference.nearest(to: query, in: items, count: k, metric: metric).map(\.id))
            let found = try store.nearest(to: query, count: k, ef: ef).map(\.id)
            hits += found.filter(expected.contains).count
        }
        return Double(hits) / Double(queries.count * k)
    }

    static func expectClean(_ store: FeatureStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let report = try store.verify()
        #expect(report.problems == [], sourceLocation: sourceLocation)
        #expect(report.graphNodesChecked == report.vectorsChecked, sourceLocation: sourceLocation)
    }

    @Test(arguments: Metric.allCases)
    func insertedPointsAreFoundAndTheGraphVerifies(_ metric: Metric) throws {
        var items = Self.points(400, dimension: 8, seed: 1)
        if metric != .l2 {
            items = items.map { item in
                let norm = Float(Reference.norm(item.vector))
                return (item.id, item.vector.map { $0 / norm })
            }
        }
        let store = try directory.store(dimension: 8, metric: metric, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        try Self.expectClean(store)
        let queries = Self.points(30, dimension: 8, seed: 2).map(\.vector)
        #expect(try Self.recall(store, items, queries: queries, k: 10, ef: 64, metric: metric) >= 0.95)
        // every stored vector finds itself first
        for item in items.prefix(50) {
            #expect(try store.nearest(to: item.vector, count: 1, ef: 32).first?.id == item.id)
        }
    }

    @Test func deletingHalfLeavesNoDanglingLinksAndKeepsRecall() throws {
        let items = Self.points(400, dimension: 8, seed: 3)
        let store = try directory.store(dimension: 8, hnsw: HNSWParameters(m: 8, efConstruction: 64))
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        var random = SeededGenerator(seed: 4)
        let removed = Set(items.map(\.id).shuffled(using: &random).prefix(200))
        for chunk in Array(removed).sorted().chunked(into: 25) { try store.delete(chunk) }
        try Self.expectClean(store)
        let kept = items.filter { !removed.contains($0.id) }
        let queries = Self.points(30, dimension: 8, seed: 5).map(\.vector)
        for query in queries {
            let found = try store.nearest(to: query, count: 10, ef: 64).map(\.id)
            #expect(found.allSatisfy { !removed.contains($0) })
            #expect(found.count == 10)
        }
        #expect(try Self.recall(store, kept, queries: queries, k: 10, ef: 64, metric: .l2) >= 0.95)
    }

    @Test func deletingEveryNodeEmptiesTheGraphAndItCanGrowAgain() throws {
        let items = Self.points(120, dimension: 4, seed: 6)
        let store = try directory.store(dimension: 4, hnsw: HNSWParameters(m: 4, efConstruction: 32))
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        var random = SeededGenerator(seed: 7)
        for id in items.map(\.id).shuffled(using: &random) {
            try store.delete(id)
            try Self.expectClean(store)
        }
        #expect(try store.read { try $0.mapNodes.entryPoint() } == nil)
        #expect(try store.nearest(to: [0, 0, 0, 0], count: 5).isEmpty)
        try store.put([1, 2, 3, 4], for: 99)
        #expect(try store.nearest(to: [0, 0, 0, 0], count: 5).map(\.id) == [99])
        try Self.expectClean(store)
    }

    @Test func deletingTheEntryPointMovesIt() throws {
        let items = Self.points(200, dimension: 4, seed: 8)
        let store = try directory.store(dimension: 4, hnsw: HNSWParameters(m: 4, efConstruction: 32))
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        for _ in 0..<5 {
            let entry = try #require(try store.read { try $0.mapNodes.entryPoint() })
            let id = try store.read { try $0.externalID(ofNode: entry.node) }
            try store.delete(id)
            let next = try #require(try store.read { try $0.mapNodes.entryPoint() })
            #expect(next.node != entry.node)
            try Self.expectClean(store)
        }
    }

    @Test func updatesAndReplacingPutsKeepTheGraphConsistent() throws {
        let items = Self.points(200, dimension: 6, seed: 9)
        let store = try directory.store(dimension: 6, hnsw: HNSWParameters(m: 6, efConstruction: 32))
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        let moved = Self.points(200, dimension: 6, seed: 10)
        try store.write { txn in
            for (index, item) in moved.enumerated() where index % 3 == 0 { try txn.update(item.id, vector: item.vector) }
            for (index, item) in moved.enumerated() where index % 3 == 1 { try txn.put(item.vector, for: item.id, label: "moved") }
        }
        try Self.expectClean(store)
        // an updated vector is found where it now is
        for (index, item) in moved.enumerated() where index % 3 != 2 && index < 60 {
            #expect(try store.nearest(to: item.vector, count: 1, ef: 32).first?.id == item.id)
        }
    }

    @Test func randomChurnInMixedTransactionsAlwaysVerifies() throws {
        let store = try directory.store(dimension: 5, hnsw: HNSWParameters(m: 4, efConstruction: 16))
        var random = SeededGenerator(seed: 11)
        var live: [UInt64: [Float]] = [:]
        for round in 0..<12 {
            try store.write { txn in
                for _ in 0..<30 {
                    let id = UInt64.random(in: 0..<120, using: &random)
                    let vector = random.gaussianVector(5)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0 where live[id] != nil:
                        try txn.delete(id)
                        live[id] = nil
                    default:
                        try txn.put(vector, for: id)
                        live[id] = vector
                    }
                }
            }
            try Self.expectClean(store)
            #expect(try store.count() == live.count, "round \(round)")
        }
        let items = live.map { (id: $0.key, vector: $0.value) }
        let queries = (0..<20).map { _ in random.gaussianVector(5) }
        #expect(try Self.recall(store, items, queries: queries, k: 5, ef: 64, metric: .l2) >= 0.9)
    }

    @Test func aRolledBackWriteLeavesNeitherVectorNorLinks() throws {
        let items = Self.points(100, dimension: 4, seed: 12)
        let store = try directory.store(dimension: 4, hnsw: HNSWParameters(m: 4, efConstruction: 16))
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try store.write { txn in
                try txn.put([9, 9, 9, 9], for: 1000)
                try txn.delete(3)
                throw Stop()
            }
        }
        try Self.expectClean(store)
        #expect(try store.nearest(to: [9, 9, 9, 9], count: 1).first?.id != 1000)
        #expect(try store.contains(3))
        // the writer's cache must not remember the rolled-back links either
        try store.put([5, 5, 5, 5], for: 1001)
        try Self.expectClean(store)
    }

    @Test func aSelectiveLabelFilterStillReturnsKResults() throws {
        let items = Self.points(300, dimension: 4, seed: 13)
        let store = try directory.store(dimension: 4, hnsw: HNSWParameters(m: 4, efConstruction: 16))
        try store.put(items.enumerated().map { index, item in
            VectorItem(id: item.id, vector: item.vector, label: index % 100 == 0 ? "rare" : (index % 2 == 0 ? "even" : "odd"))
        })
        let query: [Float] = [0, 0, 0, 0]
        let rare = try store.nearest(to: query, count: 3, filter: .label("rare")).map(\.id)
        #expect(Set(rare) == [0, 100, 200])
        let even = try store.nearest(to: query, count: 10, ef: 64, filter: .label("even"))
        #expect(even.count == 10)
        #expect(even.allSatisfy { $0.id % 2 == 0 })
        let exactEven = try store.exactNearest(to: query, count: 10, filter: .label("even")).map(\.id)
        #expect(Set(even.map(\.id)).intersection(exactEven).count >= 8)
        let byID = try store.nearest(to: query, count: 5, filter: .ids([1, 2, 3, 999])).map(\.id)
        #expect(Set(byID) == [1, 2, 3])
        #expect(try store.nearest(to: query, count: 5, filter: .label("none")).isEmpty)
    }

    @Test func theGraphSurvivesReopening() throws {
        let items = Self.points(150, dimension: 4, seed: 14)
        do {
            let store = try directory.store(dimension: 4, hnsw: HNSWParameters(m: 5, efConstruction: 20))
            try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        }
        let reopened = try directory.store(dimension: nil, metric: nil, hnsw: nil)
        #expect(reopened.hnswParameters == HNSWParameters(m: 5, efConstruction: 20))
        try Self.expectClean(reopened)
        #expect(try reopened.nearest(to: items[7].vector, count: 1).first?.id == 7)
        #expect(throws: StoreError.configurationMismatch(field: "M", stored: "5", requested: "6")) {
            _ = try FeatureStore(at: directory.storeURL, options: StoreOptions(
                hnsw: HNSWParameters(m: 6), durability: .noSync, initialMapSize: 1 << 20))
        }
    }

    @Test func searchesOnEveryCoreRunWhileTheWriterInserts() throws {
        let store = try directory.store(dimension: 8, hnsw: HNSWParameters(m: 6, efConstruction: 32))
        let first = Self.points(200, dimension: 8, seed: 15)
        try store.put(first.map { VectorItem(id: $0.id, vector: $0.vector) })
        let more = Self.points(400, dimension: 8, seed: 16)
        let failures = FirstError()
        let writerDone = ManagedFlag()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do {
                for chunk in more.chunked(into: 20) {
                    try store.put(chunk.map { VectorItem(id: 1000 + $0.id, vector: $0.vector) })
                }
            } catch {
                failures.set(error)
            }
            writerDone.set()
        }
        let readers = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let searches = ParallelSlots<Int>(count: readers, initial: 0)
        DispatchQueue.concurrentPerform(iterations: readers) { reader in
            var random = SeededGenerator(seed: UInt64(100 + reader))
            // at least 50 searches each, and on until the writer is done
            while searches[reader] < 50 || !writerDone.isSet {
                do {
                    try store.read { txn in
                        let found = try txn.nearest(to: random.gaussianVector(8), count: 5, ef: 32)
                        guard found.count == 5 else { throw StoreError.invalidArgument("\(found.count) results") }
                        // every result exists in the snapshot that returned it
                        for hit in found where !(try txn.contains(hit.id)) {
                            throw StoreError.unknownID(hit.id)
                        }
                    }
                } catch {
                    failures.set(error)
                    return
                }
                searches[reader] += 1
            }
        }
        group.wait()
        #expect(failures.error == nil, "\(String(describing: failures.error))")
        #expect(try store.count() == 600)
        try Self.expectClean(store)
    }

    @Test func levelsAreRepeatableAndThinOutByM() {
        let parameters = HNSWParameters(m: 16)
        let levels = (0..<20_000).map { parameters.level(forKey: UInt64($0), seed: 0) }
        #expect(levels == (0..<20_000).map { parameters.level(forKey: UInt64($0), seed: 0) })
        let upper = levels.filter { $0 >= 1 }.count
        // P(level ≥ 1) = 1/M
        #expect(abs(Double(upper) / 20_000 - 1.0 / 16) < 0.01)
    }
}

/// A flag one thread sets and others read.
final class ManagedFlag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(into size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
