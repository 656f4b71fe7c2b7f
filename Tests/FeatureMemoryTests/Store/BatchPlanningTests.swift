import Foundation
import Testing
@testable import FeatureMemory

/// A large batch is planned by threads of its own while the writer links the items already
/// planned (`BatchPlanning`), the writer's cache changes waiting apart until they are done. What
/// it builds must not depend on that overlap: not on whether the writer's cache holds anything,
/// nor on the map growing (the write running again) in the middle of a batch.
struct BatchPlanningTests {
    static let dimension = 32

    static func batches(seed: UInt64) -> [[VectorItem]] {
        var random = SeededGenerator(seed: seed)
        // sizes around the plans' limit of 1,024 items: the rest of a batch inserts by search
        return [300, 1_100, 150].enumerated().map { round, size in
            (0..<size).map { index in
                // some ids come again: upserts of nodes the snapshot holds
                let id = UInt64(index % 7 == 3 ? index : 10_000 * (round + 1) + index)
                return VectorItem(id: id, vector: random.gaussianVector(Self.dimension))
            }
        }
    }

    @Test func theGraphDoesNotDependOnTheCacheOrOnTheMapGrowingMidBatch() throws {
        let directories = try (0..<3).map { _ in try TemporaryDirectory() }
        func open(_ index: Int, writeCacheBytes: Int = 512 << 20, initialMapSize: Int = 1 << 26) throws -> FeatureStore {
            try FeatureStore(at: directories[index].storeURL, options: StoreOptions(
                dimension: Self.dimension, metric: .l2, hnsw: HNSWParameters(m: 6, efConstruction: 32), durability: .noSync,
                initialMapSize: initialMapSize, writeCacheBytes: writeCacheBytes))
        }
        let roomy = try open(0)
        let uncached = try open(1, writeCacheBytes: 0)
        // 64 KiB: every batch's write runs out of map and runs again, its planners still going
        let growing = try open(2, initialMapSize: 1 << 16)
        for batch in Self.batches(seed: 71) {
            for store in [roomy, uncached, growing] { try store.put(batch) }
        }
        let expected = try GraphDeterminismTests.Graph(of: roomy)
        #expect(expected.nodes.count > 1_400)
        #expect(try GraphDeterminismTests.Graph(of: uncached) == expected)
        #expect(try GraphDeterminismTests.Graph(of: growing) == expected)
        #expect(try growing.count() == roomy.count())
    }

    @Test func aBatchThatFailsMidWriteLeavesTheStoreAndTheNextBatchWorks() throws {
        let temporary = try TemporaryDirectory()
        let cap = 1 << 21
        let store = try temporary.store(dimension: Self.dimension, hnsw: HNSWParameters(m: 6, efConstruction: 32), mapSizeCap: cap, initialMapSize: 1 << 16)
        var random = SeededGenerator(seed: 73)
        let first = (0..<200).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(Self.dimension)) }
        try store.put(first)
        let before = try GraphDeterminismTests.Graph(of: store)
        // far past the cap: the write fails part way, while the planners may still be planning
        let huge = (0..<20_000).map { VectorItem(id: UInt64(1_000 + $0), vector: random.gaussianVector(Self.dimension)) }
        #expect(throws: StoreError.mapSizeCapReached(cap: cap)) { try store.put(huge) }
        #expect(try GraphDeterminismTests.Graph(of: store) == before)
        #expect(try store.count() == 200)
        try store.put(Array(huge.prefix(300)))
        #expect(try store.count() == 500)
        let found = try store.nearest(to: huge[10].vector, count: 1)
        #expect(found.first?.id == huge[10].id)
    }
}
