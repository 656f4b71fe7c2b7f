import FeatureCluster
import FeatureMemory
import Foundation
import Logging
import Testing

@testable import FeatureServer

/// The apply path of a shard replica, without NATS: entries handed to `apply` as the stream
/// would deliver them.
@Suite struct ShardReplicaTests {
    private let directories = ReplicaDirectories()

    private func replica(at directory: URL) throws -> ShardReplica {
        let store = try FeatureStore(at: directory, options: .init(dimension: 8, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 40)))
        let collection = Collection(name: "v.0", store: store, groupCommit: false, metrics: nil)
        return try ShardReplica(collectionName: "v", shard: 0, collection: collection, connection: nil, logger: Logger(label: "test"))
    }

    private func log(entries: Int, seed: UInt64) -> [LogEntry] {
        var generator = SplitMix(state: seed)
        return (1...entries).map { sequence in
            let record: LogRecord
            if sequence % 7 == 0 {
                record = .delete((0..<5).map { _ in generator.next() % 400 })
            } else {
                record = .upsert((0..<20).map { _ in
                    LogRecord.Point(id: generator.next() % 400, vector: (0..<8).map { _ in Float(generator.next() % 1_000) / 100 }, label: nil)
                })
            }
            return LogEntry(sequence: UInt64(sequence), data: record.encoded)
        }
    }

    @Test func replicasThatApplyTheSameLogInDifferentBatchesAnswerIdentically() throws {
        let entries = log(entries: 60, seed: 7)
        let first = try replica(at: try directories.make())
        let second = try replica(at: try directories.make())
        try first.apply(entries)
        var index = 0
        var generator = SplitMix(state: 3)
        while index < entries.count {
            let size = Int(generator.next() % 9) + 1
            try second.apply(Array(entries[index..<min(index + size, entries.count)]))
            index += size
        }
        #expect(first.applied == 60 && second.applied == 60)
        let ids = try first.collection.store.read { try $0.ids() }
        #expect(ids == (try second.collection.store.read { try $0.ids() }))
        for query in 0..<50 {
            let vector = (0..<8).map { Float(($0 * 31 + query * 17) % 100) / 10 }
            let a: [SearchResult] = try first.collection.store.read { try $0.nearest(to: vector, count: 10) }
            let b: [SearchResult] = try second.collection.store.read { try $0.nearest(to: vector, count: 10) }
            #expect(a.map(\.id) == b.map(\.id))
        }
    }

    @Test func entriesAppliedTwiceChangeNothingAndTheSequenceSurvivesAReopen() throws {
        let directory = try directories.make()
        let entries = log(entries: 20, seed: 11)
        var replica: ShardReplica? = try self.replica(at: directory)
        try replica?.apply(Array(entries[0..<12]))
        let countAfter12 = try replica!.collection.store.count()
        try replica?.apply(Array(entries[0..<12]))
        #expect(try replica!.collection.store.count() == countAfter12)
        #expect(replica?.applied == 12)
        replica = nil
        let reopened = try self.replica(at: directory)
        #expect(reopened.applied == 12)
        try reopened.apply(Array(entries[5..<20]))
        #expect(reopened.applied == 20)
    }

    @Test func aPointWrittenAgainAsItIsChangesNothingAndAChangedOneIsRewritten() throws {
        let replica = try replica(at: try directories.make())
        let vector: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let point = LogRecord.Point(id: 9, vector: vector, label: "a")
        try replica.apply([LogEntry(sequence: 1, data: LogRecord.upsert([point]).encoded)])
        let nodeBefore = try replica.collection.store.read { try $0.metadata(for: 9) }
        try replica.apply([LogEntry(sequence: 2, data: LogRecord.upsert([point]).encoded)])
        #expect(try replica.collection.store.read { try $0.metadata(for: 9) } == nodeBefore)
        var relabeled = point
        relabeled.label = "b"
        var moved = point
        moved.vector[0] = 9
        try replica.apply([
            LogEntry(sequence: 3, data: LogRecord.upsert([relabeled]).encoded),
            LogEntry(sequence: 4, data: LogRecord.upsert([moved]).encoded),
        ])
        #expect(replica.applied == 4)
        let stored = try replica.collection.store.read { try $0.get(9) }
        #expect(stored.vector == moved.vector && stored.metadata.label == "a")
    }

    @Test func aPointWhoseStoredVectorIsDamagedIsWrittenAgainNotRetriedForever() throws {
        let directory = try directories.make()
        let vector: [Float] = [0.84147098, -0.41614684, 0.14112001, -0.65364362, 0.28366219, 0.96017029, -0.75390225, 0.98935825]
        let point = LogRecord.Point(id: 9, vector: vector, label: "a")
        do {
            let replica = try replica(at: directory)
            try replica.apply([LogEntry(sequence: 1, data: LogRecord.upsert([point]).encoded)])
        }
        // one byte of the stored vector flipped in the file: its checksum no longer matches
        let path = directory.appendingPathComponent("data.mdb").path
        var file = try Data(contentsOf: URL(fileURLWithPath: path))
        let pattern = vector.withUnsafeBytes { Data($0) }
        let found = try #require(file.range(of: pattern), "the vector's bytes are not in the file as written")
        file[found.lowerBound + 5] ^= 0x40
        try file.write(to: URL(fileURLWithPath: path))
        let replica = try replica(at: directory)
        #expect(throws: StoreError.self) { try replica.collection.store.read { try $0.get(9) } }
        // the same point again: a damaged record is not "the same", so it is written, which repairs it
        try replica.apply([LogEntry(sequence: 2, data: LogRecord.upsert([point]).encoded)])
        #expect(replica.applied == 2)
        let stored = try replica.collection.store.read { try $0.get(9) }
        #expect(stored.vector == vector && stored.metadata.label == "a")
    }

    @Test func aGapIsRefusedAndChangesNothing() throws {
        let replica = try replica(at: try directories.make())
        let entries = log(entries: 10, seed: 5)
        try replica.apply(Array(entries[0..<3]))
        let count = try replica.collection.store.count()
        #expect(throws: ShardReplica.LogGap.self) { try replica.apply(Array(entries[5..<8])) }
        #expect(replica.applied == 3)
        #expect(try replica.collection.store.count() == count)
    }

    @Test func undecodableEntriesAndRefusedPointsAreSkippedAndCounted() throws {
        let replica = try replica(at: try directories.make())
        let wrongDimension = LogRecord.upsert([.init(id: 1, vector: [1, 2, 3], label: nil), .init(id: 2, vector: Array(repeating: 1, count: 8), label: nil)])
        try replica.apply([
            LogEntry(sequence: 1, data: [0xFF, 0x00]),
            LogEntry(sequence: 2, data: wrongDimension.encoded),
        ])
        #expect(replica.applied == 2)
        #expect(replica.skippedEntries.load(ordering: .relaxed) == 2)
        #expect(try replica.collection.store.read { try $0.ids() } == [2])
    }
}

/// A small deterministic generator for the logs above.
private struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fresh directories under the system's temporary directory, removed when the test that made
/// them ends (its replicas are gone by then).
private final class ReplicaDirectories: @unchecked Sendable {
    private var made: [URL] = []

    func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-replica-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        made.append(url)
        return url
    }

    deinit {
        for url in made { try? FileManager.default.removeItem(at: url) }
    }
}
