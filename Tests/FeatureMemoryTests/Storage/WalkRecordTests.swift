import Foundation
import Testing
@testable import FeatureMemory

/// An opening skips the page walk only for the file a recorded walk found sound, unchanged since:
/// damage written after the record is still found before LMDB maps the file.
struct WalkRecordTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    var dataFile: URL { temporary.storeURL.appendingPathComponent("data.mdb") }
    var walks: Int { walksBeforeOpening.withLock { $0[dataFile.path, default: 0] } }

    func writeStore() throws -> [[Float]] {
        var random = SeededGenerator(seed: 7)
        let vectors = (0..<300).map { _ in random.gaussianVector(64) }
        let store = try temporary.store(dimension: 64, durability: .full)
        try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        return vectors
    }

    /// Waits until the data file last changed `WalkRecord.settledAfter` ago.
    func waitUntilSettled() throws {
        let changed = try #require(try FileManager.default.attributesOfItem(atPath: dataFile.path)[.modificationDate] as? Date)
        let wait = WalkRecord.settledAfter + 0.1 - Date().timeIntervalSince(changed)
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }

    @Test func aSettledSoundFileIsWalkedOnceAndDamageAfterwardsIsStillFound() throws {
        let vectors = try writeStore()
        // just written: walked, not recorded (a write in the same clock tick could hide)
        _ = try FeatureStore(at: temporary.storeURL)
        #expect(walks == 1)
        #expect(WalkRecord.load(beside: dataFile.path) == nil)
        try waitUntilSettled()
        _ = try FeatureStore(at: temporary.storeURL)
        #expect(walks == 2)
        #expect(WalkRecord.load(beside: dataFile.path) != nil)
        do {
            let store = try FeatureStore(at: temporary.storeURL)
            #expect(walks == 2, "an unchanged file is not walked again")
            #expect(try store.get(17).vector == vectors[17])
        }
        // a vector record's page zeroed through the file system: the change time moved
        let file = [UInt8](try Data(contentsOf: dataFile))
        let at = try #require(occurrences(of: bytes(of: vectors[42]), in: file).first)
        let page = at / 4096
        try DataFileDamage.write([UInt8](repeating: 0, count: 4096), at: page * 4096, inStoreAt: temporary.storeURL)
        do {
            _ = try FeatureStore(at: temporary.storeURL)
            Issue.record("a store damaged after its walk was recorded opened")
        } catch StoreError.damagedFile(_, let damagedPage, _, _) {
            #expect(damagedPage == page)
        }
        #expect(walks == 3)
        #expect(WalkRecord.load(beside: dataFile.path) == nil, "the record of a damaged file is removed")
    }

    @Test func aRecordThatDoesNotMatchOrDoesNotParseMeansAWalk() throws {
        _ = try writeStore()
        try waitUntilSettled()
        _ = try FeatureStore(at: temporary.storeURL)
        #expect(walks == 1)
        let recordPath = dataFile.path + WalkRecord.suffix
        let saved = try String(contentsOfFile: recordPath, encoding: .utf8)
        // another transaction id, garbage, an empty file: each walks again (and records anew)
        let forged = saved.replacingOccurrences(of: " every-page", with: "").split(separator: " ").dropLast().joined(separator: " ") + " 999 every-page\n"
        for (index, text) in [forged, "walked 1 x y\n", "", String(repeating: "9", count: 4000)].enumerated() {
            try text.write(toFile: recordPath, atomically: true, encoding: .utf8)
            _ = try FeatureStore(at: temporary.storeURL)
            #expect(walks == 2 + index, "record \(index): \(text.prefix(60))")
        }
    }

    @Test func aCopiedStoreIsWalked() throws {
        _ = try writeStore()
        try waitUntilSettled()
        _ = try FeatureStore(at: temporary.storeURL)
        #expect(WalkRecord.load(beside: dataFile.path) != nil)
        let copy = temporary.url.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: temporary.storeURL, to: copy)
        _ = try FeatureStore(at: copy)
        #expect(walksBeforeOpening.withLock { $0[copy.path + "/data.mdb", default: 0] } == 1, "a copy is another inode")
    }
}
