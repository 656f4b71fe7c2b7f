import Foundation

/// What `GET /v1/cluster` and `fmdb cluster status` show: the map, the members' liveness, and
/// per shard its log and its replicas.
public struct ClusterReport: Encodable, Sendable {
    /// The node or tool that read the report.
    public var node: String
    /// Members by name.
    public var nodes: [String: NodeStatus]
    /// Clustered collections by name.
    public var collections: [String: CollectionStatus]

    /// A member: its URL and whether it reported lately.
    public struct NodeStatus: Encodable, Sendable {
        /// Where its HTTP API is.
        public var url: String
        /// Whether it reported within `ClusterView.staleAfter` seconds.
        public var alive: Bool
        /// Seconds since its last report.
        public var ageSeconds: Double?
        private enum CodingKeys: String, CodingKey { case url, alive, ageSeconds = "age_s" }
    }

    /// A collection: its settings, its placement, its logs and its replicas' progress.
    public struct CollectionStatus: Encodable, Sendable {
        /// Floats per vector.
        public var dimension: Int
        /// The metric's name.
        public var metric: String
        /// Shards.
        public var shards: Int
        /// Replicas wanted per shard.
        public var replicas: Int
        /// Per shard, the nodes holding it.
        public var assignment: [[String]]
        /// Per shard, its log.
        public var streams: [StreamStatus]
        /// Per shard, its assigned replicas' progress.
        public var replicasState: [[ReplicaStatus]]
        private enum CodingKeys: String, CodingKey { case dimension, metric, shards, replicas, assignment, streams, replicasState = "replicas_state" }
    }

    /// A shard's log: its first and last sequence, or why they could not be read.
    public struct StreamStatus: Encodable, Sendable {
        /// The shard.
        public var shard: Int
        /// The oldest sequence kept.
        public var firstSeq: UInt64?
        /// The newest sequence.
        public var lastSeq: UInt64?
        /// Why the log could not be read.
        public var error: String?
        private enum CodingKeys: String, CodingKey { case shard, firstSeq = "first_seq", lastSeq = "last_seq", error }
    }

    /// A replica: how far it has applied, whether it serves, and how far behind its log it is.
    public struct ReplicaStatus: Encodable, Sendable {
        /// The node holding it.
        public var node: String
        /// The last sequence it applied, as it last reported.
        public var applied: UInt64?
        /// Whether it serves searches.
        public var ready: Bool
        /// Whether its node reported lately.
        public var alive: Bool
        /// Log entries it has yet to apply.
        public var lag: UInt64?
    }
}

extension ClusterReport {
    /// Reads the map and reports through `directory`, and (when `streams`) each shard's log; `node` names the reader.
    public static func read(_ directory: ClusterDirectory, node: String, streams: Bool) throws -> ClusterReport {
        let (map, _) = try directory.map()
        var states: [String: NodeState] = [:]
        for member in map.nodes.keys { if let state = try? directory.state(of: member) { states[member] = state } }
        return make(ClusterView(map: map, states: states), connection: streams ? directory.connection : nil, node: node)
    }

    /// The report of `view`, with each shard's log read through `connection` when given.
    public static func make(_ view: ClusterView, connection: NATSConnection?, node: String) -> ClusterReport {
        let now = Date().timeIntervalSince1970
        var nodes: [String: NodeStatus] = [:]
        for (name, member) in view.map.nodes {
            nodes[name] = .init(url: member.url, alive: view.isAlive(name, now: now), ageSeconds: view.states[name].map { ((now - $0.time) * 1_000).rounded() / 1_000 })
        }
        var collections: [String: CollectionStatus] = [:]
        for (name, collection) in view.map.collections {
            var streamStatus: [StreamStatus] = []
            var replicaStatus: [[ReplicaStatus]] = []
            for shard in 0..<collection.shards {
                var last: UInt64?
                if let connection {
                    do {
                        let state = try connection.streamState(ShardRouting.stream(name, shard: shard))
                        last = state.lastSequence
                        streamStatus.append(.init(shard: shard, firstSeq: state.firstSequence, lastSeq: state.lastSequence))
                    } catch {
                        streamStatus.append(.init(shard: shard, error: "\(error)"))
                    }
                }
                let replicaName = ShardRouting.replicaName(name, shard: shard)
                replicaStatus.append(view.assigned(name, shard: shard).map { holder in
                    let progress = view.states[holder]?.replicas[replicaName]
                    return .init(
                        node: holder, applied: progress?.applied, ready: progress?.ready ?? false, alive: view.isAlive(holder, now: now),
                        lag: last.flatMap { last in progress.map { last > $0.applied ? last - $0.applied : 0 } })
                })
            }
            collections[name] = .init(
                dimension: collection.dimension, metric: collection.metric, shards: collection.shards, replicas: collection.replicas,
                assignment: collection.assignment, streams: streamStatus, replicasState: replicaStatus)
        }
        return ClusterReport(node: node, nodes: nodes, collections: collections)
    }
}
