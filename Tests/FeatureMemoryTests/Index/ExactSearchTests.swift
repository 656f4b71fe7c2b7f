import Foundation
import Testing
@testable import FeatureMemory

/// Exhaustive search against a brute-force reference computed here in double precision.
struct ExactSearchTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// Random items: Gaussian vectors, a quarter of them cut to 8 bits so both codecs are read;
    /// unit length under the inner-product metric. Ids are sparse.
    func randomItems(_ count: Int, dimension: Int, metric: Metric, seed: UInt64) -> [(id: UInt64, vector: [Float])] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            var vector = index % 4 == 3 ? random.compressibleVector(dimension) : random.gaussianVector(dimension)
            if metric == .innerProduct {
                let norm = Float(Reference.norm(vector))
                vector = vector.map { $0 / norm }
            }
            return (id: UInt64(index) * 7_919 + 13, vector: vector)
        }
    }

    /// Checks `results` against the reference: same length, nearest first, distances as the
    /// reference computes them, and every id among the true `k` nearest (up to float rounding).
    func expectMatches(
        _ results: [SearchResult], query: [Float], items: [(id: UInt64, vector: [Float])], k: Int, metric: Metric,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let reference = Reference.nearest(to: query, in: items, count: k, metric: metric)
        #expect(results.count == min(k, items.count), sourceLocation: sourceLocation)
        #expect(Set(results.map(\.id)).count == results.count, "ids repeat", sourceLocation: sourceLocation)
        #expect(zip(results, results.dropFirst()).allSatisfy { $0.distance <= $1.distance },
                "not sorted nearest first", sourceLocation: sourceLocation)
        let byID = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.vector) })
        guard let worst = reference.last?.distance else { return }
        for (rank, result) in results.enumerated() {
            guard let vector = byID[result.id] else {
                Issue.record("unknown id \(result.id)", sourceLocation: sourceLocation)
                continue
            }
            let exact = Reference.distance(query, vector, metric: metric)
            let tolerance = 1e-4 * max(1, abs(exact))
            #expect(abs(Double(result.distance) - exact) <= tolerance,
                    "id \(result.id): \(result.distance) vs \(exact)", sourceLocation: sourceLocation)
            #expect(abs(Double(result.distance) - reference[rank].distance) <= tolerance,
                    "rank \(rank): \(result.distance) vs \(reference[rank].distance)", sourceLocation: sourceLocation)
            #expect(exact <= worst + tolerance, "id \(result.id) is not among the \(k) nearest", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Metric.allCases)
    func resultsMatchTheBruteForceReference(metric: Metric) throws {
        let dimension = 24
        let items = randomItems(300, dimension: dimension, metric: metric, seed: 40 + UInt64(metric.storedCode))
        let store = try temporary.store(dimension: dimension, metric: metric, hnsw: .cheap)
        try store.put(items.map { VectorItem(id: $0.id, vector: $0.vector) })
        var random = SeededGenerator(seed: 99)
        for _ in 0..<8 {
            var query = random.gaussianVector(dimension)
            if metric == .innerProduct {
                let norm = Float(Reference.norm(query))
                query = query.map { $0 / norm }
            }
            for k in [1, 2, 10, 299, 300, 301, 1000] {
                let results = try store.exactNearest(to: query, count: k)
                expectMatches(results, query: query, items: items, k: k, metric: metric)
            }
        }
        // a stored vector is its own nearest neighbour (inner product: among unit vectors too)
        for item in items.prefix(10) {
            #expect(try store.exactNearest(to: item.vector, count: 1).first?.id == item.id)
        }
    }

    @Test(arguments: Metric.allCases)
    func anEmptyStoreFindsNothing(metric: Metric) throws {
        let store = try temporary.store(dimension: 3, metric: metric)
        #expect(try store.exactNearest(to: [1, 2, 3], count: 5).isEmpty)
        #expect(try store.nearest(to: [1, 2, 3], count: 5).isEmpty)
    }

    @Test func deletedAndUpdatedVectorsAreSearchedAsTheyAreNow() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([0, 0], for: 1)
        try store.put([10, 0], for: 2)
        try store.put([20, 0], for: 3)
        try store.delete(1)
        try store.update(3, vector: [1, 0])
        let results = try store.exactNearest(to: [0, 0], count: 10)
        #expect(results == [SearchResult(id: 3, distance: 1), SearchResult(id: 2, distance: 100)])
    }

    @Test func aWriteTransactionSearchesItsOwnUncommittedChanges() throws {
        let store = try temporary.store(dimension: 2)
        try store.put([5, 5], for: 1)
        let inside = try store.write { txn in
            try txn.put([0, 0], for: 2)
            try txn.delete(1)
            return try txn.exactNearest(to: [0, 0], count: 5)
        }
        #expect(inside == [SearchResult(id: 2, distance: 0)])
    }

    @Test func distancesFollowEachMetricsDefinition() throws {
        for metric in Metric.allCases {
            let directory = try TemporaryDirectory()
            let store = try FeatureStore(at: directory.storeURL, options: StoreOptions(dimension: 2, metric: metric, durability: .noSync))
            try store.put([3, 4], for: 1)
            let hit = try #require(try store.exactNearest(to: [1, 0], count: 1).first)
            switch metric {
            case .l2: #expect(hit.distance == 20)                          // (3-1)² + 4²
            case .cosine: #expect(abs(hit.distance - (1 - 3.0 / 5)) < 1e-6) // 1 − 3/5
            case .innerProduct: #expect(hit.distance == -2)                 // 1 − 3
            }
        }
    }

    @Test(arguments: Metric.allCases)
    func filteredResultsMatchTheReferenceOverTheMatchingItems(metric: Metric) throws {
        let dimension = 12
        let items = randomItems(120, dimension: dimension, metric: metric, seed: 7)
        let store = try temporary.store(dimension: dimension, metric: metric, hnsw: .cheap)
        try store.put(items.enumerated().map { index, item in
            VectorItem(id: item.id, vector: item.vector, label: index % 3 == 0 ? "third" : "rest")
        })
        let thirds = items.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        let chosen = Array(items.prefix(25))
        let query = items[50].vector
        for k in [1, 5, 40, 200] {
            let byLabel = try store.exactNearest(to: query, count: k, filter: .label("third"))
            expectMatches(byLabel, query: query, items: thirds, k: k, metric: metric)
            let byID = try store.exactNearest(to: query, count: k, filter: .ids(Set(chosen.map(\.id) + [1, 2, 3])))
            expectMatches(byID, query: query, items: chosen, k: k, metric: metric)
            // through the graph with a filter: at least as many results, all matching
            let graphByLabel = try store.nearest(to: query, count: k, filter: .label("third"))
            #expect(graphByLabel.count == min(k, thirds.count))
            #expect(Set(graphByLabel.map(\.id)).isSubset(of: Set(thirds.map(\.id))))
        }
        #expect(try store.exactNearest(to: query, count: 3, filter: .label("none")).isEmpty)
        #expect(try store.exactNearest(to: query, count: 3, filter: .ids([])).isEmpty)
        #expect(throws: StoreError.invalidLabel("empty (pass nil for no label)")) {
            try store.exactNearest(to: query, count: 3, filter: .label(""))
        }
    }
}
