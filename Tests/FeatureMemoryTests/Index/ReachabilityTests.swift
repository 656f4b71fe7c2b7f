import Foundation
import Testing
@testable import FeatureMemory

/// Every node stays reachable from the entry point in layer 0 through puts, upserts and deletes,
/// batched or one at a time, from one store object or two: random 384-d vectors with M 8 are
/// the hard case (an import of 5,000 left 9 nodes that no search could reach).
struct ReachabilityTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    static let dimension = 384

    func open() throws -> FeatureStore {
        try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            dimension: Self.dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 48),
            durability: .noSync, initialMapSize: 1 << 26, resultCacheEntries: 0))
    }

    func expectReachable(_ store: FeatureStore, _ context: String) throws {
        let problems = try store.verify().problems
        #expect(problems.isEmpty, "\(context): \(problems.count) problems, \(problems.prefix(3).map(\.message))")
    }

    @Test func batchesOfRandomVectorsLeaveEveryNodeReachable() throws {
        var random = SeededGenerator(seed: 41)
        let store = try open()
        for batch in 0..<4 {
            let ids = (batch * 1_000)..<((batch + 1) * 1_000)
            try store.put(ids.map { VectorItem(id: UInt64($0), vector: random.gaussianVector(Self.dimension)) })
            try expectReachable(store, "after batch \(batch)")
        }
        // a fifth deleted, a fifth put again with new vectors, in batches
        let doomed = (0..<4_000).filter { _ in random.next() % 5 == 0 }.map(UInt64.init)
        try store.delete(doomed)
        try expectReachable(store, "after the deletes")
        try store.put(doomed.map { VectorItem(id: $0 + 10_000, vector: random.gaussianVector(Self.dimension)) })
        try store.put(Array(0..<300 as Range<UInt64>).filter { !doomed.contains($0) }.map {
            VectorItem(id: $0, vector: random.gaussianVector(Self.dimension))
        })
        try expectReachable(store, "after the upserts")
    }

    @Test func singleWritesFromTwoStoreObjectsLeaveEveryNodeReachable() throws {
        var random = SeededGenerator(seed: 42)
        do {
            let store = try open()
            try store.put((0..<1_500 as Range<UInt64>).map { VectorItem(id: $0, vector: random.gaussianVector(Self.dimension)) })
        }
        // each object's tree is built at its first write and made stale by the other's commits
        let first = try open(), second = try open()
        for step in 0..<300 {
            let store = step % 7 < 4 ? first : second
            let id = random.next() % 2_000
            if random.next() % 3 == 0 {
                if try store.contains(id) { try store.delete(id) }
            } else {
                try store.put(random.gaussianVector(Self.dimension), for: id)
            }
        }
        try expectReachable(first, "after 300 single writes")
    }
}
