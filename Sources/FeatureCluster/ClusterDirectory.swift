import Foundation

/// What a node reports about itself every second: when, and per shard replica it holds, how far
/// it has applied the shard's log and whether it serves searches.
public struct NodeState: Codable, Sendable, Equatable {
    /// Unix time of the report.
    public var time: Double
    /// Per replica (`ShardRouting.replicaName`), its progress.
    public var replicas: [String: Replica]

    /// A report made now.
    public init(time: Double = Date().timeIntervalSince1970, replicas: [String: Replica]) {
        self.time = time
        self.replicas = replicas
    }

    /// One replica's progress.
    public struct Replica: Codable, Sendable, Equatable {
        /// The last stream sequence committed to the replica's store.
        public var applied: UInt64
        /// Whether it has caught up with the log once and serves searches.
        public var ready: Bool

        /// A replica's progress.
        public init(applied: UInt64, ready: Bool) {
            self.applied = applied
            self.ready = ready
        }
    }
}

/// The cluster's shared state in the JetStream bucket `fmdb_cluster`: the map under `map`
/// (changed by compare-and-set) and each node's report under `state.<node>`.
public final class ClusterDirectory: Sendable {
    /// The connection the bucket is reached through.
    public let connection: NATSConnection
    private let bucket: KeyValueBucket

    /// The bucket's name.
    public static let bucketName = "fmdb_cluster"

    /// Opens (or creates, replicated `replicas` ways) the cluster's bucket.
    public init(connection: NATSConnection, replicas: Int = 3) throws(NATSError) {
        self.connection = connection
        var opened: KeyValueBucket?
        var lastError: NATSError?
        // a fresh cluster may still be electing its meta leader: bounded retries
        for _ in 0..<40 {
            do {
                opened = try KeyValueBucket(connection, name: Self.bucketName, replicas: replicas)
                break
            } catch {
                // a NATS "cluster" of one server (development) cannot keep 3 copies: keep one
                if let single = try? KeyValueBucket(connection, name: Self.bucketName, replicas: 1) {
                    opened = single
                    break
                }
                lastError = error
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
        guard let opened else { throw lastError ?? NATSError(operation: "open \(Self.bucketName)", text: "no bucket") }
        bucket = opened
    }

    /// The map and the revision it was read at (an empty map at revision 0 when none was written).
    public func map() throws(NATSError) -> (map: ClusterMap, revision: UInt64) {
        guard let entry = try bucket.get("map") else { return (ClusterMap(), 0) }
        do {
            return (try JSONDecoder().decode(ClusterMap.self, from: Data(entry.value)), entry.revision)
        } catch {
            throw NATSError(operation: "read the cluster map", text: "it is not a cluster map: \(error)")
        }
    }

    /// Applies `change` to the map and writes it back if nobody wrote it meanwhile, else reads
    /// it again and retries (bounded); returns the map written. `change` may throw to give up.
    @discardableResult
    public func modifyMap(_ change: (inout ClusterMap) throws -> Void) throws -> ClusterMap {
        var lastError: (any Error)?
        for _ in 0..<50 {
            let (current, revision) = try map()
            var updated = current
            try change(&updated)
            if updated == current { return current }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do {
                if try bucket.update("map", Array(try encoder.encode(updated)), expecting: revision) != nil { return updated }
            } catch {
                // a create that lost its race is reported by the client as a plain error, not
                // always as a wrong last sequence: read the map again and retry; a real failure
                // shows again on the next read
                lastError = error
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.1))
        }
        throw lastError ?? NATSError(operation: "change the cluster map", text: "50 concurrent changes came first; try again")
    }

    /// `node`'s last report, or nil.
    public func state(of node: String) throws(NATSError) -> NodeState? {
        guard let entry = try bucket.get("state.\(node)") else { return nil }
        return try? JSONDecoder().decode(NodeState.self, from: Data(entry.value))
    }

    /// Writes `node`'s report.
    public func report(_ state: NodeState, for node: String) throws {
        try bucket.put("state.\(node)", Array(try JSONEncoder().encode(state)))
    }

    /// Removes `node`'s report (when it leaves the cluster).
    public func removeState(of node: String) throws(NATSError) {
        try bucket.delete("state.\(node)")
    }
}
