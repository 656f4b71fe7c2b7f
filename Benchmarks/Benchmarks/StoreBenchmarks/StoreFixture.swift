import FeatureMemory
import Foundation

/// A store in a fresh temporary directory, with seeded data for the measured loop to draw from.
///
/// Everything a benchmark needs per iteration (vectors, ids, queries) is made here, before
/// measurement starts, so the measured region holds only the store call.
final class StoreFixture {
    /// Floats per vector in every benchmark: the size of common sentence embeddings (MiniLM).
    static let dimension = 384

    /// The store's directory, removed by `FixtureSlot.tearDown()`.
    let directory: URL
    /// The store under test, opened with default options but the dimension (so `.full` durability).
    let store: FeatureStore
    /// Vectors to put or search with, drawn from the seeded generator.
    let vectorPool: [[Float]]
    /// The next id never used in this store; puts draw fresh ids from here.
    private(set) var nextID: UInt64 = 0
    private var generator: SeededGenerator
    private var poolCursor = 0

    /// Creates an empty store in a new temporary directory and `poolSize` random vectors.
    init(seed: UInt64, poolSize: Int) throws {
        generator = SeededGenerator(seed: seed)
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("featurememory-bench-\(UUID().uuidString)", isDirectory: true)
        store = try FeatureStore(at: directory, options: StoreOptions(dimension: Self.dimension))
        var pool: [[Float]] = []
        pool.reserveCapacity(poolSize)
        for _ in 0..<poolSize {
            pool.append(Self.randomVector(using: &generator))
        }
        vectorPool = pool
    }

    /// A vector of uniform values in -1..<1.
    static func randomVector(using generator: inout SeededGenerator) -> [Float] {
        (0..<dimension).map { _ in Float.random(in: -1..<1, using: &generator) }
    }

    /// The next vector of the pool, cycling; arrays are shared, so this copies nothing.
    func nextPooledVector() -> [Float] {
        defer { poolCursor = (poolCursor + 1) % vectorPool.count }
        return vectorPool[poolCursor]
    }

    /// An id no vector in the store has yet.
    func takeFreshID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    /// `count` items with fresh ids and random vectors of the pool.
    func makeItems(count: Int) -> [VectorItem] {
        (0..<count).map { _ in
            VectorItem(id: takeFreshID(), vector: vectorPool[Int.random(in: 0..<vectorPool.count, using: &generator)])
        }
    }

    /// Puts `count` new random vectors (not from the pool, so every stored vector is distinct),
    /// in batches so that filling costs a few commits rather than one fsync per vector.
    func fill(count: Int, batchSize: Int = 1_000) throws {
        var remaining = count
        while remaining > 0 {
            let size = min(batchSize, remaining)
            let items = (0..<size).map { _ in
                VectorItem(id: takeFreshID(), vector: Self.randomVector(using: &generator))
            }
            try store.put(items)
            remaining -= size
        }
    }

    /// `count` ids drawn at random from those already stored.
    func randomStoredIDs(count: Int) -> [UInt64] {
        precondition(nextID > 0, "the store is empty")
        return (0..<count).map { _ in UInt64.random(in: 0..<nextID, using: &generator) }
    }
}

/// Holds one benchmark's fixture from its setup hook to its teardown hook: the teardown hook
/// receives no setup state, so both closures capture this slot instead.
final class FixtureSlot {
    private var fixture: StoreFixture?

    /// The fixture made by `setUp`; only valid between setup and teardown.
    var current: StoreFixture {
        guard let fixture else { preconditionFailure("benchmark ran outside its setup and teardown") }
        return fixture
    }

    /// Makes the fixture: an empty store plus `poolSize` random vectors, then `filled` stored vectors.
    func setUp(seed: UInt64, poolSize: Int, filled: Int = 0) throws {
        let fixture = try StoreFixture(seed: seed, poolSize: poolSize)
        try fixture.fill(count: filled)
        self.fixture = fixture
    }

    /// Closes the store and removes its directory.
    func tearDown() {
        guard let directory = fixture?.directory else { return }
        // Drop the last reference first, so the LMDB environment is closed before its files go.
        fixture = nil
        try? FileManager.default.removeItem(at: directory)
    }
}
