import Foundation
import Testing
@testable import FeatureMemory

/// The per-snapshot KD-tree (`KDTreeSlot`) that exhaustive searches of low-dimensional stores
/// share: a tree serves only the committed snapshot it was built from, so an exhaustive search
/// sees exactly what its transaction holds.
struct KDTreeSlotTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// A store the tree serves: at most 16 dimensions, at least 1,000 vectors.
    func store() throws -> FeatureStore {
        let store = try temporary.store(dimension: 8, hnsw: .cheap, initialMapSize: 16 << 20)
        try store.put((0..<1_200).map { VectorItem(id: UInt64($0), vector: versionedVector(id: UInt64($0), version: 0, dimension: 8)) })
        return store
    }

    static func vector(_ id: UInt64) -> [Float] { versionedVector(id: id, version: 7, dimension: 8) }

    /// Puts `id` in a write that searches exhaustively (building a tree of what it holds), then aborts.
    static func abortedPut(_ id: UInt64, in store: FeatureStore) {
        _ = try? store.write { txn throws in
            try txn.put(vector(id), for: id)
            #expect(try txn.exactNearest(to: vector(id), count: 1).first == SearchResult(id: id, distance: 0))
            throw ModelWriter.Aborted()
        }
    }

    /// LMDB gives the next write the aborted one's id, and readers that id once it commits.
    @Test func readersOfTheNextCommitDoNotSeeAnAbortedWrite() throws {
        let store = try store()
        Self.abortedPut(99_999, in: store)
        try store.put(Self.vector(77_777), for: 77_777)
        // nothing committed holds the aborted vector (the commit reuses its node for 77,777)
        #expect(try store.exactNearest(to: Self.vector(99_999), count: 1).first?.distance != 0)
        #expect(try store.exactNearest(to: Self.vector(77_777), count: 1).first == SearchResult(id: 77_777, distance: 0))
    }

    @Test func theNextWriteDoesNotSeeAnAbortedWrite() throws {
        let store = try store()
        Self.abortedPut(99_999, in: store)
        try store.write { txn throws in
            #expect(try txn.exactNearest(to: Self.vector(99_999), count: 1).first?.id != 99_999)
        }
    }

    @Test func aWriteSeesItsOwnLaterChangesAndReadersSeeTheCommit() throws {
        let store = try store()
        try store.write { txn throws in
            try txn.put(Self.vector(50_000), for: 50_000)
            #expect(try txn.exactNearest(to: Self.vector(50_000), count: 1).first == SearchResult(id: 50_000, distance: 0))
            try txn.put(Self.vector(50_001), for: 50_001)
            #expect(try txn.exactNearest(to: Self.vector(50_001), count: 1).first == SearchResult(id: 50_001, distance: 0))
        }
        #expect(try store.exactNearest(to: Self.vector(50_001), count: 1).first == SearchResult(id: 50_001, distance: 0))
        #expect(try store.exactNearest(to: Self.vector(50_000), count: 1).first == SearchResult(id: 50_000, distance: 0))
    }
}
