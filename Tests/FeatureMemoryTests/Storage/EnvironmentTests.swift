import Foundation
import Testing
@testable import FeatureMemory

/// The environment: result codes, sharing one environment per directory, and running out of map.
struct EnvironmentTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func resultCodesDescribeThemselvesOnce() {
        // as STYLE.md shows: "mdb_env_open /s failed: MDB_INVALID: File is not an LMDB file"
        #expect(LMDBCode.invalid.description == "MDB_INVALID: File is not an LMDB file")
        #expect(LMDBCode.mapFull.description == "MDB_MAP_FULL: Environment mapsize limit reached")
        #expect(StoreError.storage(.invalid, operation: "mdb_env_open /s").description
            == "mdb_env_open /s failed: MDB_INVALID: File is not an LMDB file")
        #expect(LMDBCode.noSpace.description == "No space left on device")
        #expect(LMDBCode(rawValue: 2).description == "No such file or directory")
    }

    @Test func oneDirectoryHasOneEnvironmentWhateverThePathSpelling() throws {
        let first = try temporary.store(dimension: 2)
        let link = temporary.url.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: temporary.storeURL)
        // the same environment options as `first`: they belong to the shared environment
        let options = StoreOptions(durability: .noSync, initialMapSize: 1 << 20)
        var withDimension = options
        withDimension.dimension = 2
        let viaLink = try FeatureStore(at: link, options: withDimension)
        let viaDots = try FeatureStore(at: temporary.url.appendingPathComponent("store/../store"), options: options)
        #expect(first.environment === viaLink.environment)
        #expect(first.environment === viaDots.environment)
        try viaLink.put([1, 2], for: 1)
        #expect(try first.get(1).vector == [1, 2])
    }

    /// A write that runs out of map space and cannot grow (the cap is reached) says so with
    /// `mapSizeCapReached`, whichever LMDB call ran out. Here a reader pins every page, so the
    /// first write of the transaction — a cursor delete — needs a new page.
    @Test func aCursorDeleteThatRunsOutOfMapReportsTheCap() throws {
        let cap = 1 << 16
        let environment = try Environment(directory: temporary.url.path, configuration: .init(initialMapSize: cap, mapSizeCap: cap))
        let table = try environment.write { txn in try #require(try environment.openTable("t", kind: .integerKeys, create: true, in: txn)) }
        let value = [UInt8](repeating: 7, count: 100)
        func putNext(_ key: UInt64) throws {
            try environment.write { txn in
                try key.withKeyBytes { k in try value.withUnsafeBytes { try txn.put($0, forKey: k, in: table) } }
            }
        }
        try putNext(0)
        // a reader holds the first snapshot, so no page freed after it can be reused
        let opened = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? environment.read { _ in
                opened.signal()
                release.wait()
            }
            done.signal()
        }.start()
        opened.wait()
        defer { release.signal(); done.wait() }
        var key: UInt64 = 1
        var filled: Error?
        while filled == nil && key < 10_000 {
            do { try putNext(key); key += 1 } catch { filled = error }
        }
        #expect(filled as? StoreError == .mapSizeCapReached(cap: cap))
        #expect(throws: StoreError.mapSizeCapReached(cap: cap)) {
            try environment.write { txn in
                try txn.withCursor(on: table) { cursor in
                    _ = try cursor.first()
                    try cursor.deleteCurrent()
                }
            }
        }
    }

    @Test func infoReportsTheMapAndPages() throws {
        let environment = try Environment(directory: temporary.url.path, configuration: .init(initialMapSize: 1 << 20))
        let info = try environment.info()
        #expect(info.mapSize == 1 << 20)
        #expect(info.pageSize >= 4096)
        #expect(info.usedBytes <= info.mapSize)
        #expect(try environment.clearStaleReaders() == 0)
    }
}
