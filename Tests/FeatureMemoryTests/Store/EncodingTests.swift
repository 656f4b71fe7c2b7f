import Foundation
import Testing
import CFeatureMemoryShims
@testable import FeatureMemory

/// Stores that keep vectors below float32 (`StoreOptions.encoding`): what a read returns, what
/// searches compute with, what is refused, and that the choice is the store's for good.
struct EncodingTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    func store(_ encoding: VectorEncoding?, metric: Metric = .l2, dimension: Int = 48, create: Bool = true) throws -> FeatureStore {
        try FeatureStore(at: temporary.storeURL, options: StoreOptions(
            dimension: dimension, metric: metric, encoding: encoding, hnsw: HNSWParameters(m: 8, efConstruction: 40),
            durability: .noSync, initialMapSize: 1 << 22, createIfMissing: create))
    }

    /// The largest error each encoding may make on a value of `vector`.
    static func tolerance(_ encoding: VectorEncoding, for vector: [Float]) -> [Float] {
        let largest = vector.map(abs).max() ?? 0
        let low = vector.min() ?? 0, high = vector.max() ?? 0
        return vector.map { x in
            switch encoding {
            case .f32: 0
            // 11 significant bits relative to the vector's largest magnitude (scaled to 2^14…2^15)
            case .f16: largest * 0x1p-11
            // 8 significant bits of the value itself
            case .bf16: abs(x) * 0x1p-8
            // half a level, plus float rounding of low + step · code
            case .int8: (high - low) / 255 / 2 * 1.001 + abs(x) * 0x1p-20
            }
        }
    }

    @Test(arguments: VectorEncoding.allCases)
    func readsReturnTheStoredValuesWithinTheEncodingsPrecision(encoding: VectorEncoding) throws {
        let store = try store(encoding)
        var random = SeededGenerator(seed: 5)
        let vectors = (0..<200).map { _ in random.gaussianVector(48).map { $0 * 3 } }
        try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
        #expect(store.encoding == encoding)
        for (id, vector) in vectors.enumerated() {
            let stored = try store.get(UInt64(id)).vector
            let tolerance = Self.tolerance(encoding, for: vector)
            for i in vector.indices {
                #expect(abs(stored[i] - vector[i]) <= tolerance[i], "id \(id) value \(i): \(vector[i]) stored as \(stored[i])")
            }
            if encoding == .f32 { #expect(stored == vector) }
        }
        // the same reads after reopening, and the encoding comes from the store
        let expected = try (0..<vectors.count).map { try store.get(UInt64($0)).vector }
        let reopened = try self.store(nil, create: false)
        #expect(reopened.encoding == encoding)
        #expect(try (0..<vectors.count).map { try reopened.get(UInt64($0)).vector } == expected)
    }

    @Test(arguments: VectorEncoding.allCases, [Metric.l2, .cosine, .innerProduct])
    func searchDistancesAreExactToTheStoredValues(encoding: VectorEncoding, metric: Metric) throws {
        let store = try store(encoding, metric: metric)
        var random = SeededGenerator(seed: 9)
        try store.put((0..<300).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(48)) })
        for _ in 0..<10 {
            let query = random.gaussianVector(48)
            let results = try store.read { try $0.nearest(to: query, count: 5, ef: 64) }
            let exact = try store.read { try $0.exactNearest(to: query, count: 5) }
            #expect(results.count == 5)
            for result in results + exact {
                let stored = try store.get(result.id).vector
                let expected = stored.withUnsafeBytes { s in
                    query.withUnsafeBytes { q in
                        Distance.between(q.baseAddress!, norm: query.euclideanNorm, s.baseAddress!, norm: stored.euclideanNorm,
                                         count: 48, metric: metric)
                    }
                }
                #expect(abs(result.distance - expected) <= 1e-4 * max(1, abs(expected)), "id \(result.id)")
            }
        }
    }

    @Test(arguments: VectorEncoding.allCases)
    func locatedRecordsReadAsLookedUpOnes(encoding: VectorEncoding) throws {
        let store = try store(encoding)
        var random = SeededGenerator(seed: 13)
        try store.put((0..<100).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(48)) })
        try store.read { txn in
            let map = txn.mapNodes
            let bound = try map.nodeBound()
            func all() throws -> [[Float]?] {
                try (0..<bound).map { node in
                    try map.withVector(UInt32(node)) { values, norm in
                        (0..<48).map { values.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } + [norm]
                    }
                }
            }
            // the first read of each record looks it up and records its address (every codec but
            // LZ4's); the second reads from the address, without checking the record again
            let lookedUp = try all()
            let locations = try #require(map.locations)
            #expect((0..<bound).allSatisfy { locations.vectorRecord(UInt32($0)) != nil })
            #expect(try all() == lookedUp)
            #expect(lookedUp.compactMap { $0 }.count == 100)
        }
    }

    @Test func theRecordsAreSmallerAndTheFormatSaysSo() throws {
        var sizes: [VectorEncoding: Int] = [:]
        for encoding in VectorEncoding.allCases {
            let directory = try TemporaryDirectory()
            let store = try FeatureStore(at: directory.storeURL, options: StoreOptions(
                dimension: 384, encoding: encoding, hnsw: .cheap, durability: .noSync, initialMapSize: 1 << 22))
            var random = SeededGenerator(seed: 1)
            try store.put(random.incompressibleVector(384).map { $0 == 0 ? 1 : tanh($0) }, for: 1)
            let statistics = try store.statistics()
            sizes[encoding] = statistics.storedVectorBytes
            #expect(statistics.encoding == encoding)
            #expect(store.formatVersion == MetaKey.currentFormatVersion)
            // a float32 store is as older versions wrote it: no encoding in meta
            let hasKey = try store.read { reader in try reader.txn.withBytes(of: .vectorEncoding, in: store.tables.meta) { _ in true } ?? false }
            #expect(hasKey == (encoding != .f32))
        }
        #expect(sizes == [.f32: 384 * 4, .f16: 4 + 384 * 2, .bf16: 384 * 2, .int8: 8 + 384])
    }

    @Test func anExistingStoresEncodingCannotBeChanged() throws {
        _ = try store(.f16)
        #expect(throws: StoreError.configurationMismatch(field: "encoding", stored: "f16", requested: "int8")) {
            try self.store(.int8, create: false)
        }
        #expect(try store(.f16, create: false).encoding == .f16)
    }

    @Test func aVectorTheEncodingCannotHoldIsRefusedAndNothingChanges() throws {
        // bfloat16 rounds the largest float up to infinity; 8-bit levels between −2e38 and 2e38
        // (a width of 4e38) would need a step past the largest float
        let cases: [(VectorEncoding, [Float])] = [
            (.bf16, [Float.greatestFiniteMagnitude] + Array(repeating: 0, count: 47)),
            (.int8, [-2e38, 2e38] + Array(repeating: 0, count: 46)),
        ]
        for (encoding, vector) in cases {
            let directory = try TemporaryDirectory()
            let store = try FeatureStore(at: directory.storeURL, options: StoreOptions(
                dimension: 48, encoding: encoding, hnsw: .cheap, durability: .noSync, initialMapSize: 1 << 22))
            try store.put(Array(repeating: 1, count: 48), for: 1)
            let before = try StoreContents(of: store)
            #expect(throws: StoreError.self) { try store.put(vector, for: 2) }
            #expect(throws: StoreError.self) { try store.put([VectorItem(id: 3, vector: Array(repeating: 2, count: 48)), VectorItem(id: 2, vector: vector)]) }
            #expect(throws: StoreError.self) { try store.update(1, vector: vector) }
            #expect(throws: StoreError.self) { try store.putRules.check(vector) }
            #expect(try StoreContents(of: store) == before)
            // the rules of a float32 store of the same shape take it
            try PutRules(dimension: 48, metric: .l2).check(vector)
        }
    }

    @Test(arguments: [1, 7, 8, 9, 64, 385])
    func theFloat16DecoderMatchesThePortableOne(dimension: Int) {
        var random = SeededGenerator(seed: UInt64(dimension))
        let vector = random.incompressibleVector(dimension)
        var halves = [UInt16](repeating: 0, count: dimension)
        let scale = vector.withUnsafeBytes { fm_half_encode($0.baseAddress!, &halves, dimension) }
        var fast = [Float](repeating: 0, count: dimension), portable = fast
        fm_half_decode(halves, scale, &fast, dimension)
        fm_half_decode_portable(halves, scale, &portable, dimension)
        #expect(fast == portable)
    }

    @Test(arguments: VectorEncoding.allCases)
    func aDamagedOrTruncatedRecordIsCorruptNotMisread(encoding: VectorEncoding) throws {
        let codec = VectorCodec(dimension: 16, encoding: encoding)
        var random = SeededGenerator(seed: 3)
        let vector = random.gaussianVector(16)
        let stored = try codec.storedForm(of: vector, metric: .l2)
        let decoded = try stored.record.withUnsafeBytes { try codec.decodeArray($0, node: 1) }
        #expect(decoded == stored.values)
        for index in stored.record.indices {
            var damaged = stored.record
            damaged[index] ^= 0x10
            #expect(throws: StoreError.corruptRecord(node: 1)) { try damaged.withUnsafeBytes { try codec.decodeArray($0, node: 1) } }
        }
        let truncated = Array(stored.record.dropLast(2))
        #expect(throws: StoreError.corruptRecord(node: 1)) { try truncated.withUnsafeBytes { try codec.decodeArray($0, node: 1) } }
    }
}
