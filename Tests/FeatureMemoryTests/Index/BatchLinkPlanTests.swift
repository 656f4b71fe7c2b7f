import Foundation
import Testing
@testable import FeatureMemory

/// The plans a large batch makes on all cores before its write transaction, checked against brute
/// force: each item's pool holds every earlier item at its exact distance and no snapshot node the
/// batch rewrites before it, and its chosen neighbours are exactly what the selection heuristic
/// keeps of that pool.
struct BatchLinkPlanTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test(arguments: [Metric.l2, .cosine])
    func plansPoolEarlierItemsExactlyAndChooseByTheHeuristic(metric: Metric) throws {
        let dimension = 12, m = 6
        // efConstruction above snapshot plus batch: no pool is cut, so brute force can check it whole
        let store = try temporary.store(dimension: dimension, metric: metric, hnsw: HNSWParameters(m: m, efConstruction: 400))
        var random = SeededGenerator(seed: 41)
        try store.put((0..<200).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(dimension)) })
        // 40 stored ids (upserts, spread through the batch) among 90 new ones
        let ids: [UInt64] = (0..<130).map { (index: Int) -> UInt64 in
            index % 3 == 0 && index < 120 ? UInt64(index) : UInt64(1_000 + index)
        }
        let batch = ids.map { VectorItem(id: $0, vector: random.gaussianVector(dimension)) }
        let planned = try #require(try store.linkPlans(for: batch))

        let (snapshotNodes, vectors) = try store.read { txn -> ([UInt64: UInt32], [UInt32: [Float]]) in
            var nodes: [UInt64: UInt32] = [:], vectors: [UInt32: [Float]] = [:]
            for id in UInt64(0)..<200 {
                let node = try #require(try txn.node(for: id))
                nodes[id] = node
                vectors[node] = try txn.get(id).vector
            }
            return (nodes, vectors)
        }
        func distance(_ a: [Float], _ b: [Float]) -> Float {
            a.withUnsafeBytes { x in
                b.withUnsafeBytes { y in
                    Distance.between(x.baseAddress!, norm: a.euclideanNorm, y.baseAddress!, norm: b.euclideanNorm, count: dimension, metric: metric)
                }
            }
        }
        func vector(_ candidate: PlannedCandidate) -> [Float] {
            candidate.isPeer ? batch[Int(candidate.reference)].vector : vectors[candidate.reference]!
        }

        for (position, item) in batch.enumerated() {
            let plan: BatchLinkPlan = planned.plans[position].plan
            let pool: [PlannedCandidate] = plan.pools[0]
            #expect(pool == pool.sorted())
            // every earlier item, at its exact distance, and no later one
            let peers = pool.filter(\.isPeer)
            #expect(Set(peers.map(\.reference)) == Set((0..<position).map(UInt32.init)))
            for peer in peers {
                #expect(abs(peer.distance - distance(item.vector, batch[Int(peer.reference)].vector)) <= 1e-5)
            }
            // no snapshot node rewritten by this item or an earlier one
            let rewrittenSoFar = Set(batch[...position].compactMap { snapshotNodes[$0.id] })
            let stored = Set(pool.filter { !$0.isPeer }.map(\.reference))
            #expect(stored.isDisjoint(with: rewrittenSoFar))
            #expect(!stored.isEmpty)

            // the heuristic by brute force: walk the pool nearest first, keep a candidate when it
            // is nearer to the item than to every one kept (and is no copy of one)
            var expected: [PlannedCandidate] = []
            for candidate in pool where expected.count < m {
                let kept = expected.allSatisfy { chosen in
                    let d = distance(vector(candidate), vector(chosen))
                    return d >= candidate.distance && d > HNSWWriter.copyDistance
                }
                if kept { expected.append(candidate) }
            }
            #expect(plan.chosen[0] == expected, "item \(position)")
        }
    }

    @Test func aBatchWithAnInvalidItemIsNotPlannedAndTheWriteReportsIt() throws {
        let store = try temporary.store(dimension: 4)
        var random = SeededGenerator(seed: 43)
        var batch = (0..<100).map { VectorItem(id: UInt64($0), vector: random.gaussianVector(4)) }
        batch[57] = VectorItem(id: 57, vector: [1, .nan, 0, 0])
        #expect(try store.linkPlans(for: batch) == nil)
        #expect(throws: StoreError.self) { try store.put(batch) }
        #expect(try store.count() == 0)
    }
}

extension FeatureStore {
    /// Every item's link plan and stored form as a batch put would take them (`BatchPlanning`),
    /// and their snapshot's id; nil when an item is invalid or the planners saw another snapshot.
    func linkPlans(for items: [VectorItem]) throws -> (plans: [(plan: BatchLinkPlan, stored: StoredForm)], snapshotID: Int)? {
        try environment.withWriterLock {
            guard let planning = try BatchPlanning.start(for: items, in: self) else { return nil }
            defer { planning.cancelAndWait() }
            var plans: [(plan: BatchLinkPlan, stored: StoredForm)] = []
            for position in 0..<planning.count {
                guard let plan = try planning.plan(at: position) else { return nil }
                plans.append(plan)
            }
            return (plans, planning.snapshotID)
        }
    }
}
