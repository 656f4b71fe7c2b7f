import Foundation

/// The cluster's shape, kept under one key of the bucket and changed only by compare-and-set:
/// the member nodes and, per collection, which nodes hold a replica of each shard.
public struct ClusterMap: Codable, Sendable, Equatable {
    /// Member nodes by name.
    public var nodes: [String: Member] = [:]
    /// Clustered collections by name.
    public var collections: [String: ShardedCollection] = [:]

    /// An empty map.
    public init() {}

    /// A member node: where other nodes and tools reach its HTTP API.
    public struct Member: Codable, Sendable, Equatable {
        /// Base URL, such as `http://fmdb-a.internal:6380`.
        public var url: String
        /// Unix time it joined.
        public var joined: Double
        /// Whether it is leaving: it gets no replicas, and those it holds move to other nodes.
        public var draining: Bool

        /// A member reachable at `url`, joined now.
        public init(url: String, joined: Double = Date().timeIntervalSince1970, draining: Bool = false) {
            self.url = url
            self.joined = joined
            self.draining = draining
        }

        /// Reads a member; maps written before `draining` existed read as not draining.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.decode(String.self, forKey: .url)
            joined = try container.decode(Double.self, forKey: .joined)
            draining = try container.decodeIfPresent(Bool.self, forKey: .draining) ?? false
        }
    }

    /// A collection split into shards, each replicated on nodes.
    public struct ShardedCollection: Codable, Sendable, Equatable {
        /// Floats per vector.
        public var dimension: Int
        /// The metric's name (cosine, l2, ip).
        public var metric: String
        /// HNSW links per node.
        public var m: Int
        /// HNSW candidates per insert.
        public var efConstruction: Int
        /// Shards: a point lives in shard `ShardRouting.shard(of:count:)`.
        public var shards: Int
        /// Replicas wanted per shard.
        public var replicas: Int
        /// Per shard, the nodes holding a replica (first: the one filled first).
        public var assignment: [[String]]

        enum CodingKeys: String, CodingKey {
            case dimension, metric, m, shards, replicas, assignment
            case efConstruction = "ef_construction"
        }

        /// A collection of these settings, not yet assigned to nodes.
        public init(dimension: Int, metric: String, m: Int, efConstruction: Int, shards: Int, replicas: Int) {
            self.dimension = dimension
            self.metric = metric
            self.m = m
            self.efConstruction = efConstruction
            self.shards = shards
            self.replicas = replicas
            self.assignment = Array(repeating: [], count: shards)
        }

        /// Whether `other` has the same settings (its assignment aside).
        public func sameSettings(as other: ShardedCollection) -> Bool {
            dimension == other.dimension && metric == other.metric && m == other.m && efConstruction == other.efConstruction
                && shards == other.shards && replicas == other.replicas
        }
    }

    /// Whether every replica the map assigns is on a live node that reports it ready (what a
    /// membership change waits for before it finishes).
    public func isSettled(in view: ClusterView) -> Bool {
        for (name, collection) in collections {
            for shard in collection.assignment.indices {
                for node in collection.assignment[shard] {
                    guard view.isAlive(node), view.states[node]?.replicas[ShardRouting.replicaName(name, shard: shard)]?.ready == true else { return false }
                }
            }
        }
        return true
    }

    /// Replicas each node holds, over every collection (members without any count 0).
    public var load: [String: Int] {
        var load = Dictionary(uniqueKeysWithValues: nodes.keys.map { ($0, 0) })
        for collection in collections.values {
            for holders in collection.assignment { for node in holders { load[node, default: 0] += 1 } }
        }
        return load
    }

    /// The map with every shard given its replicas on member nodes, spread evenly: replicas on
    /// nodes no longer members are dropped, missing ones go to the least loaded nodes, and a node
    /// holding more than its share gives replicas to one holding less — at most one replica of a
    /// shard moves per call, so every shard keeps the others serving while the new one copies.
    /// With `moving` false only missing replicas are placed (what creating a collection does).
    public func rebalanced(moving: Bool = true) -> ClusterMap {
        var map = self
        let members = nodes.filter { !$0.value.draining }.keys.sorted()
        guard !members.isEmpty else { return map }
        var load = Dictionary(uniqueKeysWithValues: members.map { ($0, 0) })
        for name in map.collections.keys.sorted() {
            guard var collection = map.collections[name] else { continue }
            for shard in collection.assignment.indices {
                collection.assignment[shard] = collection.assignment[shard].filter { members.contains($0) }
                collection.assignment[shard].forEach { load[$0, default: 0] += 1 }
            }
            map.collections[name] = collection
        }
        func leastLoaded(excluding held: [String]) -> String? {
            members.filter { !held.contains($0) }.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }
        }
        // missing replicas first
        for name in map.collections.keys.sorted() {
            guard var collection = map.collections[name] else { continue }
            for shard in collection.assignment.indices {
                while collection.assignment[shard].count < min(collection.replicas, members.count),
                      let node = leastLoaded(excluding: collection.assignment[shard]) {
                    collection.assignment[shard].append(node)
                    load[node, default: 0] += 1
                }
            }
            map.collections[name] = collection
        }
        // then even out: move one replica from the most to the least loaded node while that narrows the gap
        var moved = Set<String>()
        for _ in 0..<(moving ? 10_000 : 0) {
            guard let heaviest = members.max(by: { (load[$0] ?? 0, $1) < (load[$1] ?? 0, $0) }),
                  let lightest = members.min(by: { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }),
                  (load[heaviest] ?? 0) - (load[lightest] ?? 0) > 1 else { break }
            var didMove = false
            search: for name in map.collections.keys.sorted() {
                guard var collection = map.collections[name] else { continue }
                for shard in collection.assignment.indices where !moved.contains("\(name)/\(shard)") {
                    let holders = collection.assignment[shard]
                    guard let index = holders.firstIndex(of: heaviest), !holders.contains(lightest) else { continue }
                    collection.assignment[shard][index] = lightest
                    map.collections[name] = collection
                    load[heaviest, default: 0] -= 1
                    load[lightest, default: 0] += 1
                    moved.insert("\(name)/\(shard)")
                    didMove = true
                    break search
                }
            }
            if !didMove { break }
        }
        return map
    }
}
