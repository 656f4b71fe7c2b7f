import AsyncHTTPClient
import FeatureCluster
import FeatureMemory
import Foundation
import Hummingbird

/// Creating and deleting clustered collections, and reading one point from its shard.
extension ClusterNode {
    /// Makes the shards' streams, then puts the collection in the map with its replicas placed;
    /// returns whether it was created (false: it existed with the same settings; 409 if other).
    func createCollection(_ name: String, _ wanted: ClusterMap.ShardedCollection) throws -> Bool {
        if let existing = view.map.collections[name], !existing.sameSettings(as: wanted) {
            throw APIError.conflict("collection \(name) exists with other settings")
        }
        // streams first: a collection in the map always has its logs
        for shard in 0..<wanted.shards {
            let stream = ShardRouting.stream(name, shard: shard), subject = ShardRouting.subject(name, shard: shard)
            do {
                try connection.ensureStream(stream, subject: subject, replicas: 3)
            } catch {
                // a NATS cluster of fewer than three servers (a development setup) keeps one copy
                logger.warning("stream \(stream) with 3 replicas failed (\(error)); trying 1")
                try connection.ensureStream(stream, subject: subject, replicas: 1)
            }
        }
        var created = false
        try cluster.modifyMap { map in
            created = false
            if let existing = map.collections[name] {
                guard existing.sameSettings(as: wanted) else { throw APIError.conflict("collection \(name) exists with other settings") }
                return
            }
            created = true
            map.collections[name] = wanted
            map = map.rebalanced(moving: false)
        }
        try refreshView()
        return created
    }

    /// Takes the collection out of the map (its replicas are dropped by their nodes' agents) and deletes its streams.
    func deleteCollection(_ name: String) throws {
        guard let collection = try cluster.map().map.collections[name] else { throw APIError.notFound("no collection named \(name)") }
        try cluster.modifyMap { $0.collections[name] = nil }
        for shard in 0..<collection.shards { try connection.deleteStream(ShardRouting.stream(name, shard: shard)) }
        try refreshView()
    }

    /// The point `id` of shard `shard`, from this node's replica or the first live other one.
    func point(_ id: UInt64, in name: String, shard: Int) async throws -> Response {
        if let replica = replica(name, shard: shard), replica.isReady.load(ordering: .acquiring) {
            return try Self.pointResponse(id, in: replica)
        }
        let view = self.view
        for node in view.servingNodes(name, shard: shard) where node != self.name {
            guard let url = view.map.nodes[node]?.url else { continue }
            var request = HTTPClientRequest(url: "\(url)/v1/cluster/shards/\(name)/\(shard)/points/\(id)")
            authorize(&request)
            request.method = .GET
            guard let response = try? await http.execute(request, timeout: .seconds(3)),
                  let body = try? await response.body.collect(upTo: 64 << 20) else {
                replicasSkipped.add(1, ordering: .relaxed)
                continue
            }
            guard response.status == .ok || response.status == .notFound else { continue }
            return Response(status: response.status == .ok ? .ok : .notFound, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        throw APIError(.serviceUnavailable, "shard_unavailable", "no live replica of shard \(shard) of \(name) answered; retry")
    }

    /// A replica's point as `GET .../points/{id}` answers it.
    static func pointResponse(_ id: UInt64, in replica: ShardReplica) throws -> Response {
        let point = try replica.collection.store.read { txn -> StoredVector? in try txn.contains(id) ? try txn.get(id) : nil }
        guard let point else { throw APIError.notFound("no point \(id) in \(replica.collectionName)") }
        return try API.json(PointOutput(id: point.id, vector: point.vector, label: point.metadata.label))
    }
}

/// `GET /v1/cluster` and `GET /v1/collections` of a clustered node.
enum ClusterStatusReport {
    /// The map with liveness, and per shard its log's sequences (when `streams`) and its replicas' progress.
    static func make(node: ClusterNode, streams: Bool) throws -> ClusterReport {
        try node.refreshView()
        return ClusterReport.make(node.view, connection: streams ? node.connection : nil, node: node.name)
    }
}
