import Foundation
import Testing
@testable import FeatureMemory

/// Salvage copies every readable vector of a damaged store, with its metadata, into a new store.
struct SalvageTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    var dataFile: URL { temporary.storeURL.appendingPathComponent("data.mdb") }
    var destination: URL { temporary.url.appendingPathComponent("salvaged") }
    let pageSize = 4096

    /// 400 vectors with labels, user data and support, then 40 deleted (free pages hold stale
    /// copies of records). Returns the live vectors by id.
    func writeStore() throws -> [UInt64: [Float]] {
        var random = SeededGenerator(seed: 2024)
        var vectors: [UInt64: [Float]] = [:]
        for id in UInt64(0)..<400 { vectors[id] = random.gaussianVector(64) }
        let store = try temporary.store(dimension: 64, metric: .cosine, durability: .full)
        try store.put(vectors.keys.sorted().map {
            VectorItem(id: $0, vector: vectors[$0]!, label: $0 % 2 == 0 ? "even" : "odd", userData: Data("data-\($0)".utf8))
        })
        try store.write { txn in for id in stride(from: UInt64(1), to: 400, by: 50) { try txn.setSupport(7, confidence: 0.25, for: id) } }
        for id in stride(from: UInt64(5), to: 400, by: 10) {
            try store.delete(id)
            vectors[id] = nil
        }
        return vectors
    }

    /// The live copy of the page holding `vector`'s record: the copy the current trees reach.
    func livePage(holding vector: [Float]) throws -> Int {
        let file = [UInt8](try Data(contentsOf: dataFile))
        var walk = PageWalk(file: try #require(try DataFile(path: dataFile.path)), depth: .everyPage)
        walk.run()
        let pages = occurrences(of: bytes(of: vector), in: file).map { $0 / pageSize }.filter { walk.reached[$0] }
        #expect(pages.count == 1)
        return try #require(pages.first)
    }

    @Test func aZeroedVectorLeafLosesOnlyItsOwnRecords() throws {
        let vectors = try writeStore()
        let page = try livePage(holding: vectors[200]!)
        let file = [UInt8](try Data(contentsOf: dataFile))
        // the nodes whose records the page holds, from its own keys (compressed records hide their floats)
        let leaf = LMDBPage(bytes: Array(file[(page * pageSize)..<((page + 1) * pageSize)]))
        let nodes = Set((0..<leaf.keyCount).map { index in
            let node = leaf.node(at: leaf.nodeOffset(index))
            return leaf.u32(node.keyOffset)
        })
        let original: [UInt64: StoredVector]
        let onPage: Set<UInt64>
        do {
            // closed before the page is damaged: its warm start may still be reading the map
            let before = try FeatureStore(at: temporary.storeURL)
            original = try Dictionary(uniqueKeysWithValues: vectors.keys.map { ($0, try before.get($0)) })
            onPage = try Set(vectors.keys.filter { id in try before.read { try $0.node(for: id) }.map(nodes.contains) == true })
        }
        #expect(onPage.contains(200))
        try DataFileDamage.write([UInt8](repeating: 0, count: pageSize), at: page * pageSize, inStoreAt: temporary.storeURL)

        let report = try FeatureStore.salvage(from: temporary.storeURL, to: destination)
        #expect(report.damage.map(\.page) == [page])
        #expect(report.damage.first?.table == "vectors")
        // a stale copy on a free page may bring back a record of the zeroed page; nothing else is lost
        #expect(Set(report.lostIDs).isSubset(of: onPage))
        #expect(report.recovered + report.lostIDs.count == vectors.count)
        #expect(report.metadataLostIDs.isEmpty)

        let salvaged = try FeatureStore(at: destination)
        #expect(try salvaged.verify().isClean)
        #expect(salvaged.metric == .cosine)
        for (id, stored) in original where !report.lostIDs.contains(id) {
            let copy = try salvaged.get(id)
            #expect(copy.vector == stored.vector)
            #expect(copy.metadata == stored.metadata, "id \(id)")
            #expect(try salvaged.nearest(to: stored.vector, count: 1).first?.id == id)
        }
        #expect(try salvaged.count() == report.recovered)
        // deleted ids' records survive on free pages; none comes back
        for id in stride(from: UInt64(5), to: 400, by: 10) { #expect(try salvaged.contains(id) == false, "id \(id)") }
    }

    @Test func aCleanStoreIsCopiedWhole() throws {
        let vectors = try writeStore()
        let report = try FeatureStore.salvage(from: temporary.storeURL, to: destination)
        #expect(report.recovered == vectors.count)
        #expect(report.lostIDs.isEmpty && report.damage.isEmpty && report.fromScannedPages == 0)
        #expect(try FeatureStore(at: destination).verify().isClean)
    }

    @Test func aTruncatedFileGivesUpWhatLiesBeyondTheEnd() throws {
        let vectors = try writeStore()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dataFile.path)[.size] as? Int)
        try FileHandle(forWritingTo: dataFile).truncate(atOffset: UInt64(size / 2))
        let report = try FeatureStore.salvage(from: temporary.storeURL, to: destination)
        #expect(report.damage.first?.reason.contains("truncated") == true)
        #expect(report.recovered > 0 && report.recovered < vectors.count)
        let salvaged = try FeatureStore(at: destination)
        #expect(try salvaged.verify().isClean)
        // what came back is what was stored: checksums accept no other bytes
        try salvaged.read { txn in
            for id in try txn.ids() { #expect(try txn.vector(for: id) == vectors[id], "id \(id)") }
        }
    }

    @Test func aDestinationThatIsNotEmptyIsRefused() throws {
        _ = try writeStore()
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: destination.appendingPathComponent("file"))
        #expect(throws: StoreError.self) { try FeatureStore.salvage(from: temporary.storeURL, to: destination) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path) == ["file"])
    }

    @Test func aFailedSalvageLeavesNothingAtTheDestination() throws {
        _ = try writeStore()
        // both meta pages gone: nothing can be read
        let handle = try FileHandle(forWritingTo: dataFile)
        handle.write(Data(repeating: 0, count: 2 * pageSize))
        try handle.close()
        #expect(throws: StoreError.self) { try FeatureStore.salvage(from: temporary.storeURL, to: destination) }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(try temporary.entries() == ["store"])
    }
}
