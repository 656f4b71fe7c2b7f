import Foundation
import Testing
@testable import FeatureMemory

/// The graph a sequence of writes builds is a function of the writes alone: not of what the
/// writer happened to have cached. Replicas rely on it — one that restarted (cold cache) must
/// answer searches exactly as one that did not. A writer whose cache holds every node searches it
/// in C (`fm_writer_search_layer0`), one that caches nothing in Swift: the same graph either way.
struct GraphDeterminismTests {
    /// One write of the sequence.
    enum Step {
        case put(UInt64, [Float])
        case batch([VectorItem])
        case delete([UInt64])
    }

    /// Puts, batches with repeated and existing ids, changed vectors and deletes, from `seed`.
    static func steps(dimension: Int, seed: UInt64) -> [Step] {
        var generator = SeededGenerator(seed: seed)
        // clustered, so that many distances are close and the 8-bit ones order them differently
        let centres = (0..<6).map { _ in (0..<dimension).map { _ in Float.random(in: -4...4, using: &generator) } }
        func vector() -> [Float] {
            let centre = centres[Int.random(in: 0..<centres.count, using: &generator)]
            return centre.map { $0 + Float.random(in: -0.6...0.6, using: &generator) }
        }
        var steps: [Step] = []
        var present = Set<UInt64>()
        for round in 0..<30 {
            switch round % 5 {
            case 0, 3:
                // the larger batches take the parallel path (snapshot searches, then the write)
                let size = round % 5 == 0 ? Int.random(in: 8...40, using: &generator) : Int.random(in: 64...120, using: &generator)
                let items = (0..<size).map { _ in
                    VectorItem(id: UInt64.random(in: 0..<500, using: &generator), vector: vector())
                }
                present.formUnion(items.map(\.id))
                steps.append(.batch(items))
            case 4:
                let victims = present.sorted().filter { _ in Int.random(in: 0..<8, using: &generator) == 0 }
                present.subtract(victims)
                steps.append(.delete(victims))
            default:
                for _ in 0..<10 {
                    let id = UInt64.random(in: 0..<500, using: &generator)
                    present.insert(id)
                    steps.append(.put(id, vector()))
                }
            }
        }
        return steps
    }

    /// Every node's graph record, the entry point and the node bound of `store`.
    struct Graph: Equatable {
        var entry: UInt32?
        var level: Int?
        var nodes: [GraphRecord.Node?]

        init(of store: FeatureStore) throws {
            (entry, level, nodes) = try store.read { txn in
                let map = txn.mapNodes
                let entry = try map.entryPoint()
                let nodes = try (0..<map.nodeBound()).map { try map.decodedNode(UInt32($0)) }
                return (entry?.node, entry?.level, nodes)
            }
        }
    }

    func apply(_ step: Step, to store: FeatureStore) throws {
        switch step {
        case .put(let id, let vector): try store.put(vector, for: id)
        case .batch(let items): try store.put(items)
        case .delete(let ids): try store.delete(ids)
        }
    }

    @Test(arguments: [Metric.l2, .cosine, .innerProduct])
    func aWriterThatRestartsOrCachesNothingBuildsTheSameGraph(metric: Metric) throws {
        let dimension = 24
        let hnsw = HNSWParameters(m: 6, efConstruction: 24)
        let directories = try (0..<3).map { _ in try TemporaryDirectory() }
        func open(_ index: Int, writeCacheBytes: Int = 512 << 20) throws -> FeatureStore {
            try FeatureStore(at: directories[index].storeURL, options: StoreOptions(
                dimension: dimension, metric: metric, hnsw: hnsw, durability: .noSync,
                initialMapSize: 1 << 22, writeCacheBytes: writeCacheBytes))
        }
        let warm = try open(0)
        let uncached = try open(2, writeCacheBytes: 0)
        var restarted: FeatureStore? = try open(1)
        for (index, step) in Self.steps(dimension: dimension, seed: 29).enumerated() {
            try apply(step, to: warm)
            try apply(step, to: uncached)
            if index % 3 == 2 { restarted = nil; restarted = try open(1) }
            try apply(step, to: try #require(restarted))
        }
        let expected = try Graph(of: warm)
        #expect(expected.nodes.count > 300)
        #expect(try Graph(of: try #require(restarted)) == expected)
        #expect(try Graph(of: uncached) == expected)
    }
}
