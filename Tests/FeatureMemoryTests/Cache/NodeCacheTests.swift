import Foundation
import Testing
import CFeatureMemoryShims
@testable import FeatureMemory

/// The node cache must never change an answer: searches through it return what searches without
/// it return, writes are seen at once, and an open snapshot keeps seeing its own data.
struct NodeCacheTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 24

    func open(cacheBytes: Int, at url: URL? = nil, format: CacheFormat = .bytes) throws -> FeatureStore {
        try FeatureStore(at: url ?? temporary.storeURL, options: StoreOptions(
            dimension: Self.dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 64), durability: .noSync,
            initialMapSize: 1 << 24, cacheBytes: cacheBytes, cacheFormat: format,
            prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false), resultCacheEntries: 0))
    }

    func vectors(_ count: Int, seed: UInt64) -> [[Float]] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in random.gaussianVector(Self.dimension) }
    }

    /// The cache's 8-bit (or 4-bit, or float16) copies steer the walk, so a search through it may
    /// find other candidates than one without it; what it returns must still be exact (each
    /// distance is the stored vector's) and as good (recall against an exhaustive search within 0.02).
    @Test(arguments: [64 << 10, 64 << 20], CacheFormat.allCases)
    func searchesThroughTheCacheAreExactAndAsGood(budget: Int, format: CacheFormat) throws {
        let base = vectors(1500, seed: 1)
        do {
            let store = try open(cacheBytes: 0)
            try store.put(base.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        }
        let queries = vectors(60, seed: 2)
        let reference = try open(cacheBytes: 0)
        let truth = try queries.map { Set(try reference.exactNearest(to: $0, count: 10).map(\.id)) }
        let uncached = try queries.map { try reference.nearest(to: $0, count: 10, ef: 40) }
        let cached = try open(cacheBytes: budget, at: temporary.storeURL, format: format)
        func recall(_ answers: [[SearchResult]]) -> Double {
            Double(zip(answers, truth).map { answer, best in answer.filter { best.contains($0.id) }.count }.reduce(0, +)) / Double(10 * queries.count)
        }
        for _ in 0..<3 {
            let answers = try queries.map { try cached.nearest(to: $0, count: 10, ef: 40) }
            #expect(recall(answers) >= recall(uncached) - 0.02)
            for (query, answer) in zip(queries, answers) {
                #expect(answer.map(\.distance) == answer.map(\.distance).sorted())
                for result in answer {
                    let exact = Float(Reference.l2Squared(query, base[Int(result.id)]))
                    #expect(abs(result.distance - exact) <= 1e-4 * max(1, exact))
                }
            }
        }
    }

    /// Populating the arena ahead of the fills leaves what the filled slots hold as it was.
    @Test func populatingAheadKeepsEntries() throws {
        let store = try open(cacheBytes: 64 << 20)
        let base = vectors(800, seed: 5)
        try store.put(base.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        let queries = vectors(40, seed: 6)
        let first = try queries.map { try store.nearest(to: $0, count: 5) }
        let cache = try #require(store.nodeCache)
        let filled = cache.statistics.entries
        #expect(filled > 0)
        cache.populateAhead(slots: 100_000)
        let misses = cache.statistics.lookups - cache.statistics.hits
        #expect(try queries.map { try store.nearest(to: $0, count: 5) } == first)
        #expect(cache.statistics.lookups - cache.statistics.hits == misses)
        #expect(cache.statistics.entries == filled)
    }

    /// `fm_populate_write` backs pages without changing a byte of them.
    @Test func populateWriteLeavesContents() throws {
        let length = 4 << 20
        let memory = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 4096)
        defer { memory.deallocate() }
        var random = SeededGenerator(seed: 9)
        let words = memory.bindMemory(to: UInt64.self, capacity: length / 8)
        for i in 0..<(length / 8) where i % 3 == 0 { words[i] = random.next() }
        let before = Array(UnsafeBufferPointer(start: words, count: length / 8))
        _ = fm_populate_write(memory, length)
        #expect(Array(UnsafeBufferPointer(start: words, count: length / 8)) == before)
    }

    @Test func hitsAreCountedAndABudgetIsNeverPassed() throws {
        let store = try open(cacheBytes: 256 << 10)
        let base = vectors(3000, seed: 3)
        try store.put(base.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        for query in vectors(50, seed: 4) + vectors(50, seed: 4) { _ = try store.nearest(to: query, count: 5) }
        let statistics = try #require(store.cacheStatistics)
        #expect(statistics.lookups > 0)
        #expect(statistics.hits > 0)
        #expect(statistics.bytesInUse <= statistics.budgetBytes)
        #expect(statistics.targetBytes <= statistics.budgetBytes)
        #expect(statistics.evictions > 0)
    }

    @Test func anUpdateIsSeenByTheNextSearchAndNotByAnOlderSnapshot() throws {
        let store = try open(cacheBytes: 16 << 20)
        let base = vectors(500, seed: 5)
        try store.put(base.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        for vector in base.prefix(100) { _ = try store.nearest(to: vector, count: 3) }   // warm the cache
        let old = base[42]
        let fresh = vectors(1, seed: 6)[0]
        try store.read { before in
            // a snapshot from before the update, held open across it
            try store.update(42, vector: fresh)
            let seenBefore = try before.nearest(to: old, count: 1)
            #expect(seenBefore.first?.id == 42)
            #expect(seenBefore.first?.distance == 0)
        }
        let afterOld = try store.nearest(to: old, count: 3)
        #expect(!afterOld.contains { $0.id == 42 && $0.distance == 0 })
        let afterFresh = try store.nearest(to: fresh, count: 1)
        #expect(afterFresh.first?.id == 42)
        #expect(afterFresh.first?.distance == 0)
        // a delete is seen at once too
        try store.delete(42)
        #expect(!(try store.nearest(to: fresh, count: 5)).contains { $0.id == 42 })
    }

    @Test func aCommitByAnotherStoreObjectIsNotHiddenByTheCache() throws {
        let directory = temporary.url.appendingPathComponent("shared")
        let base = vectors(400, seed: 7)
        let first = try open(cacheBytes: 16 << 20, at: directory)
        try first.put(base.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        for vector in base.prefix(50) { _ = try first.nearest(to: vector, count: 3) }
        // the node cache belongs to a store object; a second object on the directory writes
        let second = try FeatureStore(at: directory, options: StoreOptions(durability: .noSync, initialMapSize: 1 << 24, cacheBytes: 16 << 20))
        let fresh = vectors(1, seed: 8)[0]
        try second.update(7, vector: fresh)
        let found = try first.nearest(to: fresh, count: 1)
        #expect(found.first?.id == 7)
        #expect(found.first?.distance == 0)
        #expect(!(try first.nearest(to: base[7], count: 3)).contains { $0.id == 7 && $0.distance == 0 })
    }

    @Test func halfPrecisionCopiesKeepLargeAndTinyMagnitudes() throws {
        let store = try open(cacheBytes: 16 << 20)
        let huge = (0..<Self.dimension).map { Float($0 + 1) * 1e6 }
        let tiny = (0..<Self.dimension).map { Float($0 + 1) * 1e-7 }
        try store.put(huge, for: 1)
        try store.put(tiny, for: 2)
        try store.put([Float](repeating: 0.5, count: Self.dimension), for: 3)
        for _ in 0..<3 {
            #expect(try store.nearest(to: huge, count: 1).first?.id == 1)
            #expect(try store.nearest(to: tiny, count: 1).first?.id == 2)
        }
    }
}
