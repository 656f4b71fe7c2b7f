import AsyncHTTPClient
import FeatureCluster
import FeatureMemory
import Foundation

/// Writes: each shard's points become one log record, published to the shard's stream with a
/// message id (so a publish retried through a leader election is stored once); the answer waits
/// for JetStream's acknowledgement, which comes after its replicas stored and fsynced it.
extension ClusterNode {
    /// The clustered collection `name` as the map has it; 404 when there is none.
    func collection(named name: String) throws -> ClusterMap.ShardedCollection {
        try CollectionRegistry.checkName(name)
        if let collection = view.map.collections[name] { return collection }
        // made on another node a moment ago: read the map again before answering 404
        try? refreshView()
        guard let collection = view.map.collections[name] else { throw APIError.notFound("no collection named \(name)") }
        return collection
    }

    /// Publishes `records` (by shard) of collection `name`; returns each shard's acknowledged sequence.
    func publish(_ records: [Int: LogRecord], to name: String) async throws -> [Int: UInt64] {
        try checkBacklog(of: name, shards: Array(records.keys))
        let connection = self.connection
        return try await withThrowingTaskGroup(of: (Int, UInt64).self) { group in
            for (shard, record) in records {
                group.addTask {
                    let sequence = try await Self.blocking {
                        try connection.publish(
                            record.encoded, to: ShardRouting.subject(name, shard: shard), messageID: UUID().uuidString,
                            stream: ShardRouting.stream(name, shard: shard), deadline: ContinuousClock.now + .seconds(Self.publishPatience))
                    }
                    return (shard, sequence)
                }
            }
            var sequences: [Int: UInt64] = [:]
            do {
                for try await (shard, sequence) in group {
                    sequences[shard] = sequence
                    notePublished(sequence, collection: name, shard: shard)
                }
            } catch let error as NATSError {
                throw APIError(.serviceUnavailable, "log_unavailable", "the shard log did not acknowledge the write within \(Self.publishPatience) s (\(error)); shards acknowledged: \(sequences.keys.sorted()); retry — an upsert applies once per id")
            }
            return sequences
        }
    }

    /// How long the oldest write this node published to a shard may stay unapplied by every
    /// replica before new writes to the shard are refused: writes faster than replicas apply
    /// would otherwise grow the backlog without bound (searches staler and staler, a restarted
    /// node catching up for minutes). Measured in time, not entries: an entry may hold one
    /// point or ten thousand.
    static let backlogLimit = Duration.seconds(5)

    /// 503 overloaded (Retry-After: 1) when no serving replica of a shard has applied a write
    /// this node published to it `backlogLimit` ago.
    func checkBacklog(of name: String, shards: [Int]) throws {
        let view = self.view
        for shard in shards {
            let replicaName = ShardRouting.replicaName(name, shard: shard)
            var best = view.servingNodes(name, shard: shard).compactMap { view.states[$0]?.replicas[replicaName]?.applied }.max()
            // this node's own replica is known now, not as of its last report
            if let local = replica(name, shard: shard), local.isReady.load(ordering: .acquiring) { best = max(best ?? 0, local.applied) }
            guard let best, let waiting = oldestUnapplied(collection: name, shard: shard, applied: best),
                  ContinuousClock.now - waiting.published > Self.backlogLimit else { continue }
            throw APIError.overloaded(
                "shard \(shard) of \(name): no replica has applied sequence \(waiting.sequence), published \(ContinuousClock.now - waiting.published) ago; writes come faster than replicas apply them — retry")
        }
    }

    /// How long a publish keeps retrying through leader elections (measured: 4–9 s) before the request fails.
    static let publishPatience: Int64 = 20

    /// Waits until every live replica assigned to each shard has applied its sequence in
    /// `sequences`; 504 after `timeout` (the write stays acknowledged and will be applied).
    func waitUntilApplied(_ name: String, sequences: [Int: UInt64], timeout: Duration) async throws {
        let view = self.view
        var waits: [(shard: Int, node: String, sequence: UInt64)] = []
        for (shard, sequence) in sequences {
            for node in view.assigned(name, shard: shard) where node == self.name || view.isAlive(node) {
                waits.append((shard, node, sequence))
            }
        }
        let late = try await withThrowingTaskGroup(of: String?.self) { group in
            for wait in waits {
                group.addTask { [self] in
                    await waitUntilApplied(name, shard: wait.shard, sequence: wait.sequence, on: wait.node, timeout: timeout, view: view)
                        ? nil : "\(wait.node) (shard \(wait.shard))"
                }
            }
            var late: [String] = []
            for try await node in group { if let node { late.append(node) } }
            return late
        }
        guard late.isEmpty else {
            throw APIError(.gatewayTimeout, "not_applied", "the write is acknowledged but not yet applied by \(late.sorted().joined(separator: ", ")) after \(timeout)")
        }
    }

    private func waitUntilApplied(_ name: String, shard: Int, sequence: UInt64, on node: String, timeout: Duration, view: ClusterView) async -> Bool {
        if node == self.name {
            guard let replica = replica(name, shard: shard) else { return false }
            return await replica.waitUntilApplied(sequence, timeout: timeout)
        }
        guard let url = view.map.nodes[node]?.url else { return false }
        let milliseconds = timeout.components.seconds * 1_000
        var request = HTTPClientRequest(url: "\(url)/v1/cluster/shards/\(name)/\(shard)?wait_seq=\(sequence)&timeout_ms=\(milliseconds)")
        authorize(&request)
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .seconds(timeout.components.seconds + 2)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 1 << 16),
              let info = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let applied = (info["applied"] as? NSNumber)?.uint64Value else { return false }
        return applied >= sequence
    }

    /// Runs blocking client calls off the concurrency pool's threads.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
