import Foundation

/// What a node last read of the cluster: the map and every member's report, with when it read them.
public struct ClusterView: Sendable {
    /// The shard map.
    public var map = ClusterMap()
    /// Members' last reports, by node.
    public var states: [String: NodeState] = [:]

    /// A view of `map` and `states`.
    public init(map: ClusterMap = ClusterMap(), states: [String: NodeState] = [:]) {
        self.map = map
        self.states = states
    }

    /// A report older than this means the node is down (reports come every second).
    public static let staleAfter: Double = 5

    /// Whether `node` reported within `staleAfter` seconds.
    public func isAlive(_ node: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        guard let state = states[node] else { return false }
        return now - state.time < Self.staleAfter
    }

    /// The nodes that serve searches of a shard now, best first: those assigned to it that are
    /// alive and ready, then any other alive node still holding a ready replica (one the shard is
    /// moving away from). Replicas last reported behind `minimumSequence` go last (reports are
    /// up to a second old: the replica itself decides whether it has caught up).
    public func servingNodes(_ collection: String, shard: Int, minimumSequence: UInt64 = 0) -> [String] {
        let replica = ShardRouting.replicaName(collection, shard: shard)
        let now = Date().timeIntervalSince1970
        func serves(_ node: String) -> Bool {
            guard isAlive(node, now: now), let progress = states[node]?.replicas[replica] else { return false }
            return progress.ready
        }
        let assigned = map.collections[collection].flatMap { $0.assignment.indices.contains(shard) ? $0.assignment[shard] : nil } ?? []
        let others = states.keys.sorted().filter { !assigned.contains($0) }
        let candidates = assigned.filter(serves).shuffled() + others.filter(serves)
        let current = candidates.filter { (states[$0]?.replicas[replica]?.applied ?? 0) >= minimumSequence }
        return current + candidates.filter { !current.contains($0) }
    }

    /// The nodes assigned to a shard (empty for an unknown collection or shard).
    public func assigned(_ collection: String, shard: Int) -> [String] {
        map.collections[collection].flatMap { $0.assignment.indices.contains(shard) ? $0.assignment[shard] : nil } ?? []
    }
}
