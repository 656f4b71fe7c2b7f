import Foundation
import Testing
@testable import FeatureMemory

/// Records damaged on disk are found by their checksums: the damaged id throws, the rest reads.
struct DamageTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    var dataFile: URL { temporary.storeURL.appendingPathComponent("data.mdb") }

    /// Ids 0…19 with incompressible vectors (raw records: the floats appear as-is in the file),
    /// written in one transaction so each record has one copy on disk. Returns the vectors.
    func writeStore(dimension: Int = 64) throws -> [UInt64: [Float]] {
        var random = SeededGenerator(seed: 4242)
        var vectors: [UInt64: [Float]] = [:]
        for id in UInt64(0)..<20 { vectors[id] = random.incompressibleVector(dimension) }
        let store = try temporary.store(dimension: dimension, durability: .full)
        try store.put(vectors.keys.sorted().map {
            VectorItem(id: $0, vector: vectors[$0]!, label: "v", userData: Data("user-data-of-\($0)-end".utf8))
        })
        return vectors
    }

    /// Flips the byte `offset` bytes into every copy of `needle` in data.mdb, in place; returns how many.
    @discardableResult
    func damage(_ needle: [UInt8], at offset: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        try DataFileDamage.flip(needle, at: offset, inStoreAt: temporary.storeURL, sourceLocation: sourceLocation)
    }

    func node(of id: UInt64, in store: FeatureStore) throws -> UInt32 {
        try #require(try store.read { try $0.node(for: id) })
    }

    @Test(arguments: [0, 100, 255])
    func aDamagedVectorPayloadIsReportedForItsIDOnly(byte: Int) throws {
        let vectors = try writeStore()
        let victim: UInt64 = 7
        // MDB_NOMEMINIT: unused page space may hold stale copies of the bytes too; all are flipped
        #expect(try damage(bytes(of: vectors[victim]!), at: byte) >= 1)

        let store = try temporary.store(dimension: nil, metric: nil)
        let node = try node(of: victim, in: store)
        #expect(throws: StoreError.corruptRecord(node: node)) { try store.get(victim) }
        #expect(throws: StoreError.corruptRecord(node: node)) { try store.read { try $0.vector(for: victim) } }
        // an exhaustive search skips the damaged record and names it, instead of failing
        let (hits, skipped) = try store.read { txn in
            (try txn.exactNearest(to: vectors[0]!, count: 3), txn.skippedDamagedIDs)
        }
        #expect(hits.count == 3)
        #expect(!hits.contains { $0.id == victim })
        #expect(skipped == [victim])
        for (id, vector) in vectors where id != victim {
            #expect(try store.get(id).vector.bitPatterns == vector.bitPatterns)
        }
        // the metadata is intact and still readable on its own
        #expect(try store.read { try $0.metadata(for: victim) }.label == "v")
        let report = try store.verify()
        #expect(report.problems.contains { $0.kind == .corruptVector && $0.node == node })
        #expect(report.problems.allSatisfy { $0.node == node }, "\(report.problems)")
    }

    /// A warm start locates every record it can check and leaves a damaged one out, so graph
    /// searches still meet it through a lookup, skip it and name it.
    @Test func theLocationPassLeavesADamagedVectorOut() throws {
        let vectors = try writeStore()
        let victim: UInt64 = 12
        #expect(try damage(bytes(of: vectors[victim]!), at: 40) >= 1)
        let store = try temporary.store(dimension: nil, metric: nil)
        store.waitForPrefetches()
        let located = try store.read { try $0.mapNodes.locateAll() }
        #expect(located == 0)   // the warm start located the 19 intact ones already
        let (hits, skipped) = try store.read { txn in
            (try txn.nearest(to: vectors[victim]!, count: 5, ef: 40), txn.skippedDamagedIDs)
        }
        #expect(!hits.contains { $0.id == victim })
        #expect(skipped == [victim])
        let fresh = try FeatureStore(at: temporary.url.appendingPathComponent("copy"), options: StoreOptions(
            dimension: 64, metric: .l2, durability: .noSync, prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false)))
        try fresh.put(vectors.keys.sorted().map { VectorItem(id: $0, vector: vectors[$0]!) })
        #expect(try fresh.read { try $0.mapNodes.locateAll() } == vectors.count)
    }

    /// The way out of a damaged vector is to delete or replace it; that must work, and so must
    /// writes to its neighbours.
    @Test func aDamagedVectorCanBeDeleted() throws {
        let vectors = try writeStore()
        try damage(bytes(of: vectors[4]!), at: 10)
        let store = try temporary.store(dimension: nil, metric: nil)
        try store.delete(4)
        #expect(try store.contains(4) == false)
        #expect(try store.verify().isClean)
    }

    @Test func aDamagedVectorCanBeReplaced() throws {
        let vectors = try writeStore()
        try damage(bytes(of: vectors[3]!), at: 10)
        let store = try temporary.store(dimension: nil, metric: nil)
        let fresh = [Float](repeating: 0.5, count: 64)
        try store.put(fresh, for: 3)
        #expect(try store.get(3).vector == fresh)
        #expect(try store.exactNearest(to: fresh, count: 1).first?.id == 3)
        #expect(try store.verify().isClean)
    }

    @Test func otherIDsCanBeWrittenBesideADamagedVector() throws {
        let vectors = try writeStore()
        try damage(bytes(of: vectors[3]!), at: 10)
        let store = try temporary.store(dimension: nil, metric: nil)
        var failures: [String] = []
        for id in vectors.keys.sorted() where id != 3 {
            do { try store.update(id, vector: vectors[id]!.map { $0 / 2 }) } catch { failures.append("update \(id): \(error)") }
        }
        for id: UInt64 in [0, 10, 19] {
            do { try store.delete(id) } catch { failures.append("delete \(id): \(error)") }
        }
        #expect(failures.isEmpty, "\(failures.count) failed: \(failures.prefix(3))")
    }

    @Test func aDamagedMetadataRecordIsReportedForItsIDOnly() throws {
        let vectors = try writeStore()
        let victim: UInt64 = 12
        #expect(try damage(Array("user-data-of-\(victim)-end".utf8), at: 3) >= 1)
        let store = try temporary.store(dimension: nil, metric: nil)
        let node = try node(of: victim, in: store)
        #expect(throws: StoreError.corruptRecord(node: node)) { try store.get(victim) }
        #expect(throws: StoreError.corruptRecord(node: node)) { try store.read { try $0.metadata(for: victim) } }
        // the vector itself is intact
        #expect(try store.read { try $0.vector(for: victim) } == vectors[victim]!)
        for (id, vector) in vectors where id != victim {
            #expect(try store.get(id).vector.bitPatterns == vector.bitPatterns)
        }
    }

    /// A damaged metadata record must not make its id undeletable: delete (or put over it) is
    /// the way to repair the store.
    @Test func anIDWithDamagedMetadataCanBeDeletedOrReplaced() throws {
        let vectors = try writeStore()
        #expect(try damage(Array("user-data-of-12-end".utf8), at: 3) >= 1)
        #expect(try damage(Array("user-data-of-13-end".utf8), at: 3) >= 1)
        let store = try temporary.store(dimension: nil, metric: nil)
        var failures: [String] = []
        do { try store.delete(12) } catch { failures.append("delete 12: \(error)") }
        do { try store.put(vectors[13]!, for: 13, label: "fresh") } catch { failures.append("put 13: \(error)") }
        #expect(failures.isEmpty, "\(failures)")
        guard failures.isEmpty else { return }
        #expect(try store.contains(12) == false)
        #expect(try store.read { try $0.metadata(for: 13) }.label == "fresh")
    }

    @Test func aDamagedCompressedRecordIsReported() throws {
        let dimension = 128
        var random = SeededGenerator(seed: 5)
        let vector = random.compressibleVector(dimension)
        let codec = VectorCodec(dimension: dimension)
        let record: [UInt8] = vector.withUnsafeBufferPointer { [UInt8](codec.encode($0, norm: vector.euclideanNorm)) }
        #expect(record[1] == VectorRecord.Codec.shuffledLZ4.rawValue)
        do {
            let store = try temporary.store(dimension: dimension, durability: .full)
            try store.put(vector, for: 1)
            try store.put(random.gaussianVector(dimension), for: 2)
        }
        #expect(try damage(record, at: record.count - 5) >= 1)
        let store = try temporary.store(dimension: nil, metric: nil)
        #expect(throws: StoreError.corruptRecord(node: try node(of: 1, in: store))) { try store.get(1) }
        #expect(try store.get(2).vector.count == dimension)
    }

    /// Search through the graph must not rank a vector by damaged bytes: it reports the
    /// damage, as `get` and exact search do, or at least leaves the damaged vector out.
    @Test func graphSearchDoesNotReturnADamagedVectorAsIfItWereIntact() throws {
        let vectors = try writeStore()
        let victim: UInt64 = 7
        try damage(bytes(of: vectors[victim]!), at: 100)
        let store = try temporary.store(dimension: nil, metric: nil)
        let node = try node(of: victim, in: store)
        do {
            let hits = try store.nearest(to: vectors[victim]!, count: 5)
            let damaged = hits.filter { $0.id == victim }
            #expect(damaged.isEmpty, "id \(victim) (damaged node \(node)) returned at distance \(damaged.first?.distance ?? 0)")
        } catch {
            #expect(error as? StoreError == .corruptRecord(node: node))
        }
    }
}
