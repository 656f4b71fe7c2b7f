import Foundation
import Testing
@testable import FeatureMemory

/// Every bad input gets a typed error and leaves the store as it was.
struct ValidationTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// A store of dimension 8 holding ids 1…3 (1 labelled "one", 2 with user data).
    func seededStore(metric: Metric = .l2) throws -> FeatureStore {
        let store = try temporary.store(dimension: 8, metric: metric)
        var random = SeededGenerator(seed: 77)
        try store.put(random.gaussianVector(8), for: 1, label: "one")
        try store.put(random.compressibleVector(8), for: 2, userData: Data([1, 2]))
        try store.put(random.gaussianVector(8), for: 3)
        return store
    }

    /// Expects every write path to refuse `vector` with `error`, and the store to stay as it was.
    func expectRefused(_ vector: [Float], with error: StoreError, in store: FeatureStore) throws {
        let before = try StoreContents(of: store)
        #expect(throws: error) { try store.put(vector, for: 10) }
        #expect(throws: error) { try store.put(vector, for: 1, label: "new") }
        #expect(throws: error) { try store.update(2, vector: vector) }
        #expect(throws: error) { try store.write { try $0.put(VectorItem(id: 11, vector: vector)) } }
        #expect(throws: error) { _ = try store.nearest(to: vector, count: 1) }
        #expect(throws: error) { _ = try store.exactNearest(to: vector, count: 1) }
        // the rules import checks a file by refuse exactly what the put refuses
        #expect(throws: error) { try store.putRules.check(VectorItem(id: 10, vector: vector)) }
        #expect(throws: error) { try PutRules(dimension: store.dimension, metric: store.metric).check(vector) }
        #expect(try StoreContents(of: store) == before)
    }

    @Test(arguments: [1, 7, 9, 384])
    func aVectorOfAnotherDimensionIsRefused(length: Int) throws {
        let store = try seededStore()
        try expectRefused([Float](repeating: 1, count: length), with: .dimensionMismatch(expected: 8, actual: length), in: store)
    }

    @Test func anEmptyVectorIsRefused() throws {
        try expectRefused([], with: .emptyVector, in: try seededStore())
    }

    @Test(arguments: [Float.nan, -.nan, .signalingNaN, .infinity, -.infinity], [0, 3, 7])
    func aNonFiniteValueIsRefused(value: Float, index: Int) throws {
        let store = try seededStore()
        var vector: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        vector[index] = value
        try expectRefused(vector, with: .nonFinite(index: index), in: store)
    }

    @Test func theFirstNonFiniteValueIsTheOneReported() throws {
        let store = try seededStore()
        try expectRefused([1, 2, .infinity, 4, .nan, 6, 7, .nan], with: .nonFinite(index: 2), in: store)
    }

    @Test func aVectorWhoseLengthOverflowsFloatIsRefused() throws {
        let store = try seededStore()
        try expectRefused([Float](repeating: .greatestFiniteMagnitude, count: 8), with: .vectorTooLarge, in: store)
    }

    @Test(arguments: Metric.allCases)
    func theZeroVectorIsRefusedUnderCosineOnly(metric: Metric) throws {
        let store = try seededStore(metric: metric)
        let zero = [Float](repeating: 0, count: 8)
        if metric == .cosine {
            try expectRefused(zero, with: .zeroVector, in: store)
            try expectRefused([0, -0.0, 0, 0, 0, 0, 0, -0.0], with: .zeroVector, in: store)
        } else {
            try store.put(zero, for: 10)
            #expect(try store.get(10).vector == zero)
            #expect(try store.nearest(to: zero, count: 4).count == 4)
        }
    }

    /// A vector the cosine metric accepts must be searchable: its distance to itself is about 0,
    /// never NaN. Vectors shorter than 1e-18, whose norms' product would underflow, are refused
    /// like the zero vector, and the store is unchanged.
    @Test(arguments: [Float(1e-10), 1e-17, 1e-20, 1e-25, 1e-30])
    func tinyButNonzeroVectorsHaveFiniteCosineDistances(scale: Float) throws {
        let store = try temporary.store(dimension: 4, metric: .cosine)
        let tiny: [Float] = [scale, 2 * scale, 0, -scale]
        if scale < 1e-18 {
            #expect(throws: StoreError.zeroVector) { try store.put(tiny, for: 1) }
            #expect(throws: StoreError.zeroVector) { try store.putRules.check(tiny) }
            #expect(try store.count() == 0)
            return
        }
        try store.put(tiny, for: 1)
        try store.put([1, 2, 0, -1], for: 2)
        let hits = try store.exactNearest(to: tiny, count: 2)
        #expect(hits.count == 2)
        for hit in hits {
            #expect(hit.distance.isFinite, "id \(hit.id): distance \(hit.distance)")
            #expect(abs(hit.distance) < 1e-3, "id \(hit.id): distance \(hit.distance)")
        }
    }

    /// Finite vectors so long that a distance between them overflows float32 (cosine: ∞/∞) are
    /// stored and found, far away, never reported as damaged records: their checksums are sound.
    @Test func distancesThatOverflowAreFarNotDamaged() throws {
        let store = try temporary.store(dimension: 4, metric: .cosine)
        let huge: [Float] = [1e30, 2e30, 0, -1e30]
        try store.put(huge, for: 1)
        // the insert's graph search meets the same overflow against the entry point
        try store.put([1e30, 1e30, 1e30, 0], for: 2)
        try store.put([1, 2, 0, -1], for: 3)
        try store.read { txn in
            let hits = try txn.nearest(to: huge, count: 3)
            #expect(Set(hits.map(\.id)) == [1, 2, 3])
            #expect(hits.contains { $0.distance == .infinity })
            #expect(!hits.contains { $0.distance.isNaN })
            #expect(txn.skippedDamagedIDs.isEmpty, "overflow read as damage: \(txn.skippedDamagedIDs)")
        }
        #expect(try store.verify().isClean)
    }

    @Test func unknownIDsAreRefusedEverywhere() throws {
        let store = try seededStore()
        let before = try StoreContents(of: store)
        for id: UInt64 in [0, 7, .max] {
            #expect(throws: StoreError.unknownID(id)) { try store.get(id) }
            #expect(throws: StoreError.unknownID(id)) { try store.read { try $0.vector(for: id) } }
            #expect(throws: StoreError.unknownID(id)) { try store.read { try $0.metadata(for: id) } }
            #expect(throws: StoreError.unknownID(id)) { try store.update(id, vector: [Float](repeating: 1, count: 8)) }
            #expect(throws: StoreError.unknownID(id)) { try store.delete(id) }
            #expect(throws: StoreError.unknownID(id)) { try store.write { try $0.setLabel("x", for: id) } }
            #expect(throws: StoreError.unknownID(id)) { try store.write { try $0.setUserData(nil, for: id) } }
            #expect(try store.contains(id) == false)
        }
        #expect(try StoreContents(of: store) == before)
    }

    static let badLabels: [(String, String)] = [
        ("", "empty (pass nil for no label)"),
        (String(repeating: "a", count: 256), "256 bytes; at most 255"),
        (String(repeating: "é", count: 128), "256 bytes; at most 255"),
        (String(repeating: "🐈", count: 64), "256 bytes; at most 255"),
        (String(repeating: "x", count: 10_000), "10000 bytes; at most 255"),
        ("a\u{0}b", "contains a NUL character"),
    ]

    @Test(arguments: badLabels)
    func aBadLabelIsRefused(label: String, reason: String) throws {
        let store = try seededStore()
        let before = try StoreContents(of: store)
        let error = StoreError.invalidLabel(reason)
        #expect(throws: error) { try store.put([Float](repeating: 1, count: 8), for: 10, label: label) }
        #expect(throws: error) { try store.put([Float](repeating: 1, count: 8), for: 1, label: label) }
        #expect(throws: error) { try store.write { try $0.setLabel(label, for: 1) } }
        #expect(throws: error) { try store.write { try $0.setLabel(label, for: 77) } }
        #expect(throws: error) { try store.read { try $0.ids(withLabel: label) } }
        #expect(throws: error) { try store.putRules.check([Float](repeating: 1, count: 8), label: label) }
        #expect(try StoreContents(of: store) == before)
    }

    @Test func userDataOverTheLimitIsRefused() throws {
        let store = try seededStore()
        let before = try StoreContents(of: store)
        let data = Data(count: StoreOptions.maximumUserDataBytes + 1)
        let error = StoreError.invalidArgument("user data of \(data.count) bytes; at most \(StoreOptions.maximumUserDataBytes)")
        #expect(throws: error) { try store.put([Float](repeating: 1, count: 8), for: 10, userData: data) }
        #expect(throws: error) { try store.write { try $0.setUserData(data, for: 1) } }
        #expect(throws: error) { try store.putRules.check(VectorItem(id: 10, vector: [Float](repeating: 1, count: 8), userData: data)) }
        #expect(try StoreContents(of: store) == before)
    }

    @Test(arguments: [0, -1, Int.min])
    func aResultCountBelowOneIsRefused(k: Int) throws {
        let store = try seededStore()
        #expect(throws: StoreError.invalidArgument("result count must be at least 1, got \(k)")) {
            _ = try store.nearest(to: [Float](repeating: 1, count: 8), count: k)
        }
        #expect(throws: StoreError.invalidArgument("result count must be at least 1, got \(k)")) {
            _ = try store.exactNearest(to: [Float](repeating: 1, count: 8), count: k)
        }
    }

    /// Asking for more results than the store holds returns them all, whatever the count.
    /// Run in a child process: a crash must fail this test, not end the run.
    @Test func aHugeResultCountReturnsEveryVectorWithoutCrashing() async {
        await #expect(processExitsWith: .success) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fm-exit-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try FeatureStore(at: directory, options: StoreOptions(dimension: 2, durability: .noSync))
            try store.put([1, 0], for: 1)
            try store.put([0, 1], for: 2)
            for k in [1 << 40, Int.max] {
                guard try store.exactNearest(to: [1, 0], count: k).map(\.id) == [1, 2] else { exit(3) }
                guard try store.nearest(to: [1, 0], count: k).map(\.id) == [1, 2] else { exit(4) }
            }
        }
    }

    @Test func errorDescriptionsSayWhatIsWrong() {
        #expect(StoreError.dimensionMismatch(expected: 4, actual: 3).description == "vector has 3 dimensions; this store holds 4")
        #expect(StoreError.unknownID(7).description == "no vector with id 7")
        #expect(StoreError.nonFinite(index: 2).description == "vector element 2 is not a finite number (NaN or infinity)")
        #expect(StoreError.mapSizeCapReached(cap: 1 << 20).description
            == "store reached its map size cap of 1048576 bytes; reopen with a larger cap to write more")
        #expect(StoreError.storage(.mapFull, operation: "mdb_put vectors").description.hasPrefix("mdb_put vectors failed: MDB_MAP_FULL: "))
    }

    @Test(arguments: [0, -1, StoreOptions.maximumDimension + 1, Int.max])
    func rulesForADimensionNoStoreCouldHaveAreRefused(dimension: Int) throws {
        #expect(throws: StoreError.invalidArgument("dimension must be 1…\(StoreOptions.maximumDimension), got \(dimension)")) {
            _ = try PutRules(dimension: dimension, metric: .l2)
        }
    }

    @Test func rulesAcceptWhatAPutAccepts() throws {
        let store = try seededStore(metric: .cosine)
        let item = VectorItem(id: 9, vector: [1, 0, 0, 0, 0, 0, 0, 1e-30], label: "x", userData: Data([1]))
        try store.putRules.check(item)
        try store.put([item])
        #expect(try store.get(9).metadata.label == "x")
    }
}
