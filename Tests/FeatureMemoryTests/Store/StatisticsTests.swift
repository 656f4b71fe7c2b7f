import Foundation
import Synchronization
import Testing
@testable import FeatureMemory

/// Counters, sizes and page use as `statistics()` reports them.
struct StatisticsTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func anEmptyStoreReportsZeros() throws {
        let store = try temporary.store(dimension: 6, metric: .cosine)
        let statistics = try store.statistics()
        #expect(statistics.formatVersion == MetaKey.currentFormatVersion)
        #expect(statistics.dimension == 6)
        #expect(statistics.metric == .cosine)
        #expect(statistics.count == 0)
        #expect(statistics.rawVectorBytes == 0)
        #expect(statistics.storedVectorBytes == 0)
        #expect(statistics.compressionRatio == 0)
        #expect(statistics.compressedRecords == 0)
        #expect(statistics.pageSize >= 4096)
        #expect(statistics.mapBytes == 1 << 20)
        #expect(statistics.usedBytes <= statistics.mapBytes)
        #expect(Set(statistics.tables.map(\.name)).isSuperset(of: ["meta", "keys", "vectors", "patterns", "labels", "free_nodes"]))
        #expect(statistics.tables.filter { $0.name != "meta" }.allSatisfy { $0.entries == 0 })
    }

    @Test func countersFollowPutsUpdatesAndDeletes() throws {
        let dimension = 64
        let store = try temporary.store(dimension: dimension)
        var random = SeededGenerator(seed: 3)
        let compressible = (0..<4).map { _ in random.compressibleVector(dimension) }
        let raw = (0..<6).map { _ in random.incompressibleVector(dimension) }
        try store.put(compressible.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) }
                      + raw.enumerated().map { VectorItem(id: 100 + UInt64($0.offset), vector: $0.element) })
        var statistics = try store.statistics()
        #expect(statistics.count == 10)
        #expect(statistics.compressedRecords == 4)
        #expect(statistics.rawVectorBytes == 10 * dimension * 4)
        #expect(statistics.storedVectorBytes < statistics.rawVectorBytes)
        #expect(statistics.storedVectorBytes > 6 * dimension * 4)
        #expect(statistics.compressionRatio == Double(statistics.rawVectorBytes) / Double(statistics.storedVectorBytes))
        #expect(statistics.compressionRatio > 1)

        try store.update(0, vector: raw[0])       // compressed → raw
        try store.delete([1, 100])
        statistics = try store.statistics()
        #expect(statistics.count == 8)
        #expect(statistics.compressedRecords == 2)
        #expect(statistics.rawVectorBytes == 8 * dimension * 4)
        let payloads = try store.read { reader in
            var sum = 0
            try reader.tables.forEachVectorRecord(in: reader.txn) { _, record in sum += record.count - VectorRecord.headerSize; return true }
            return sum
        }
        #expect(statistics.storedVectorBytes == payloads)
    }

    @Test func everyCommitAdvancesTheTransactionID() throws {
        let store = try temporary.store(dimension: 2)
        let before = try store.statistics().lastTransactionID
        try store.put([1, 2], for: 1)
        try store.put([1, 2], for: 2)
        #expect(try store.statistics().lastTransactionID == before + 2)
        _ = try? store.write { _ in throw CancellationError() }
        #expect(try store.statistics().lastTransactionID == before + 2)
    }

    /// "Reader slots in use": once reads have ended, none are in use. The prefetch thread is off:
    /// its own short reads hold a slot while they run, which would make the count racy here.
    @Test func readerSlotsInUseCountsOnlyOpenReads() throws {
        let store = try temporary.store(dimension: 2, prefetch: PrefetchOptions(graph: false, warmStart: false, predictive: false))
        try store.put([1, 2], for: 1)
        let opened = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for _ in 0..<3 {
            Thread {
                _ = try? store.read { _ in
                    opened.signal()
                    release.wait()
                }
                done.signal()
            }.start()
        }
        for _ in 0..<3 { opened.wait() }
        let whileOpen = try store.statistics().readersInUse
        for _ in 0..<3 { release.signal() }
        for _ in 0..<3 { done.wait() }
        let afterwards = try store.statistics().readersInUse
        #expect(whileOpen >= 3)
        #expect(afterwards == 0)
    }
}
