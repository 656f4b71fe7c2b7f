import Foundation
import Testing
@testable import FeatureMemory

/// A fresh directory under the system temporary directory, removed with everything in it when
/// the value is released. Each test gets its own (suites make one in `init`), so tests can run
/// in parallel.
final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: `url` is immutable; the directory is only removed in deinit.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("fm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The directory a store is created in: not there until the store creates it.
    var storeURL: URL { url.appendingPathComponent("store") }

    /// Opens (creating) the store in `storeURL`.
    func store(
        dimension: Int? = 8, metric: Metric? = .l2, hnsw: HNSWParameters? = nil, durability: Durability = .noSync,
        mapSizeCap: Int? = nil, initialMapSize: Int = 1 << 20, createIfMissing: Bool = true,
        prefetch: PrefetchOptions = PrefetchOptions()
    ) throws -> FeatureStore {
        try FeatureStore(at: storeURL, options: StoreOptions(
            dimension: dimension, metric: metric, hnsw: hnsw, durability: durability, mapSizeCap: mapSizeCap,
            initialMapSize: initialMapSize, createIfMissing: createIfMissing, prefetch: prefetch))
    }

    /// The names of the entries in `url`, sorted (to check that a failed call left nothing).
    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

extension HNSWParameters {
    /// The cheapest graph: for tests about storage, not search quality, that write thousands of vectors.
    static let cheap = HNSWParameters(m: 4, efConstruction: 4)
}

/// Random test data from the store's own seeded generator, so random tests are reproducible.
extension SeededGenerator {
    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Float {
        let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// `dimension` standard normal values. Byte-shuffled, their exponent bytes compress a
    /// little at large dimensions; small ones are stored raw.
    mutating func gaussianVector(_ dimension: Int) -> [Float] {
        (0..<dimension).map { _ in gaussian() }
    }

    /// `dimension` finite values with random bits in every byte (random sign and mantissa,
    /// exponent 2⁻⁶³…2⁶⁴): nothing compresses, so the record is raw.
    mutating func incompressibleVector(_ dimension: Int) -> [Float] {
        (0..<dimension).map { _ in
            let bits = UInt32.random(in: 0...UInt32.max, using: &self)
            let exponent = UInt32.random(in: 64...191, using: &self)
            return Float(bitPattern: (bits & 0x807F_FFFF) | (exponent << 23))
        }
    }

    /// `dimension` normal values cut to 8 significant bits (sign, exponent, 7 mantissa bits):
    /// the two low bytes of each float are zero, so the byte-shuffled record compresses.
    mutating func compressibleVector(_ dimension: Int) -> [Float] {
        (0..<dimension).map { _ in
            var x = gaussian()
            if x == 0 { x = 1 }
            return Float(bitPattern: x.bitPattern & 0xFFFF_0000)
        }
    }
}

/// Reference distances computed in double precision, as the store defines them.
enum Reference {
    static func l2Squared(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { sum, pair in
            let d = Double(pair.0) - Double(pair.1)
            return sum + d * d
        }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func norm(_ a: [Float]) -> Double { dot(a, a).squareRoot() }

    static func distance(_ a: [Float], _ b: [Float], metric: Metric) -> Double {
        switch metric {
        case .l2: l2Squared(a, b)
        case .innerProduct: 1 - dot(a, b)
        case .cosine: 1 - dot(a, b) / (norm(a) * norm(b))
        }
    }

    /// The ids of the `k` nearest of `items` to `query`, nearest first (ties by id).
    static func nearest(
        to query: [Float], in items: [(id: UInt64, vector: [Float])], count k: Int, metric: Metric
    ) -> [(id: UInt64, distance: Double)] {
        var scored: [(id: UInt64, distance: Double)] = []
        for item in items {
            scored.append((id: item.id, distance: distance(query, item.vector, metric: metric)))
        }
        scored.sort { a, b in a.distance < b.distance || (a.distance == b.distance && a.id < b.id) }
        return Array(scored.prefix(k))
    }
}

/// The raw bytes of `values` (float32, little-endian on every platform we run on).
func bytes(of values: [Float]) -> [UInt8] {
    values.withUnsafeBytes { [UInt8]($0) }
}

/// Every offset at which `needle` occurs in `haystack`.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
    var found: [Int] = []
    let first = needle[0]
    haystack.withUnsafeBufferPointer { hay in
        needle.withUnsafeBufferPointer { pin in
            var i = 0
            let last = hay.count - pin.count
            while i <= last {
                if hay[i] == first && memcmp(hay.baseAddress! + i, pin.baseAddress!, pin.count) == 0 {
                    found.append(i)
                }
                i += 1
            }
        }
    }
    return found
}

/// Everything a store's public API shows, to check that a failed call changed nothing.
struct StoreContents: Equatable, CustomStringConvertible {
    var count: Int
    var items: [StoredVector]
    var bitPatterns: [[UInt32]]
    var labels: [String: [UInt64]]
    var rawVectorBytes: Int
    var storedVectorBytes: Int
    var vectorRecords: Int

    init(of store: FeatureStore) throws {
        var items: [StoredVector] = []
        var labels: [String: [UInt64]] = [:]
        count = try store.read { txn in
            try txn.forEach { items.append($0); return true }
            for label in Set(items.compactMap(\.metadata.label)) {
                labels[label] = try txn.ids(withLabel: label)
            }
            return try txn.count()
        }
        self.items = items
        self.labels = labels
        bitPatterns = items.map { $0.vector.map(\.bitPattern) }
        let statistics = try store.statistics()
        rawVectorBytes = statistics.rawVectorBytes
        storedVectorBytes = statistics.storedVectorBytes
        vectorRecords = statistics.tables.first { $0.name == "vectors" }?.entries ?? -1
    }

    var description: String { "\(count) vectors: \(items.map(\.id))" }
}

extension Array where Element == Float {
    /// The bit patterns, to compare vectors exactly (signed zeros included).
    var bitPatterns: [UInt32] { map(\.bitPattern) }
}

/// One shape of stored record: a raw or a compressed vector, with or without label and user data.
struct RecordKind: Sendable, CustomTestStringConvertible {
    var compressible: Bool
    var label: String?
    var userData: Data?

    static let all: [RecordKind] = [false, true].flatMap { compressible in
        [nil, "dog", "猫 🐈 naïve"].flatMap { label in
            [nil, Data([0, 1, 2, 3, 255]), Data(repeating: 7, count: 5000)].map { userData in
                RecordKind(compressible: compressible, label: label, userData: userData)
            }
        }
    }

    func vector(_ dimension: Int, using random: inout SeededGenerator) -> [Float] {
        compressible ? random.compressibleVector(dimension) : random.incompressibleVector(dimension)
    }

    var testDescription: String {
        "\(compressible ? "compressed" : "raw"), label \(label ?? "nil"), \(userData.map { "\($0.count) bytes" } ?? "no data")"
    }
}

/// A vector determined by `id`, incompressible (random sign, mantissa, exponent 2⁻¹⁵…2¹⁶) but cheap to make
/// (one `next()` per value, no generic random API), for tests that write and check megabytes.
func patternVector(id: UInt64, dimension: Int) -> [Float] {
    var random = SeededGenerator(seed: id)
    return [Float](unsafeUninitializedCapacity: dimension) { buffer, count in
        for i in 0..<dimension {
            let bits = random.next()
            let mantissaAndSign = UInt32(truncatingIfNeeded: bits) & 0x807F_FFFF
            let exponent = 112 + UInt32(truncatingIfNeeded: bits >> 59)    // 2⁻¹⁵…2¹⁶
            buffer[i] = Float(bitPattern: mantissaAndSign | exponent << 23)
        }
        count = dimension
    }
}
