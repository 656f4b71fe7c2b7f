import FeatureCluster
import Testing

@Suite struct ClusterMapTests {
    private func map(nodes: [String], collections: [String: (shards: Int, replicas: Int)]) -> ClusterMap {
        var map = ClusterMap()
        for node in nodes { map.nodes[node] = .init(url: "http://127.0.0.1/\(node)", joined: 0) }
        for (name, shape) in collections {
            map.collections[name] = .init(dimension: 4, metric: "l2", m: 16, efConstruction: 100, shards: shape.shards, replicas: shape.replicas)
        }
        return map
    }

    private func check(_ map: ClusterMap) {
        for collection in map.collections.values {
            for holders in collection.assignment {
                #expect(holders.count == min(collection.replicas, map.nodes.count))
                #expect(Set(holders).count == holders.count)
                #expect(holders.allSatisfy { map.nodes[$0] != nil })
            }
        }
    }

    @Test func newCollectionsSpreadOverTheNodes() {
        let balanced = map(nodes: ["a", "b", "c"], collections: ["v": (3, 2), "w": (1, 3)]).rebalanced()
        check(balanced)
        let load = balanced.load.values
        #expect(load.max()! - load.min()! <= 1)
        #expect(balanced.rebalanced() == balanced)
    }

    @Test func aNewNodeTakesShardsOneReplicaPerShardAtATime() {
        var cluster = map(nodes: ["a", "b", "c"], collections: ["v": (6, 2)]).rebalanced()
        let before = cluster
        cluster.nodes["d"] = .init(url: "http://127.0.0.1/d", joined: 0)
        let after = cluster.rebalanced()
        check(after)
        #expect(after.load["d"]! == 3)
        for (old, new) in zip(before.collections["v"]!.assignment, after.collections["v"]!.assignment) {
            #expect(Set(old).intersection(new).count >= 1)
        }
    }

    @Test func aRemovedNodesReplicasMoveToTheOthers() {
        var cluster = map(nodes: ["a", "b", "c", "d"], collections: ["v": (4, 3)]).rebalanced()
        cluster.nodes["b"] = nil
        let after = cluster.rebalanced()
        check(after)
        #expect(after.load["b"] == nil)
        #expect(after.collections["v"]!.assignment.allSatisfy { !$0.contains("b") })
    }

    @Test func moreReplicasThanNodesTakesEveryNode() {
        let cluster = map(nodes: ["a", "b"], collections: ["v": (2, 3)]).rebalanced()
        check(cluster)
        #expect(cluster.collections["v"]!.assignment.allSatisfy { Set($0) == ["a", "b"] })
    }
}
