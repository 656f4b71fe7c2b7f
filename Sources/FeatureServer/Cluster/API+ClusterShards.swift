import FeatureCluster
import FeatureMemory
import Foundation
import Hummingbird

extension API {
    /// `GET /v1/cluster` and the node-to-node routes of one shard replica: its progress (waiting
    /// for a sequence when asked), its ids, a search, a point and a snapshot.
    func registerClusterShards(on router: Router<BasicRequestContext>, node: ClusterNode) {
        router.get("/v1/cluster") { _, _ in
            try API.json(try await ClusterNode.blocking { try ClusterStatusReport.make(node: node, streams: true) })
        }
        router.get("/v1/cluster/shards/:name/:shard") { request, context in
            let replica = try API.replica(context, node)
            if let text = request.uri.queryParameters.get("wait_seq") {
                guard let sequence = UInt64(text) else { throw APIError.invalidField("wait_seq: expected an unsigned integer") }
                let milliseconds = min(Int(request.uri.queryParameters.get("timeout_ms") ?? "") ?? 10_000, 30_000)
                _ = await replica.waitUntilApplied(sequence, timeout: .milliseconds(max(0, milliseconds)))
            }
            return try API.json(ShardInfo(
                collection: replica.collectionName, shard: replica.shard, node: node.name, applied: replica.applied,
                count: try replica.collection.store.count(), ready: replica.isReady.load(ordering: .acquiring)))
        }
        router.get("/v1/cluster/shards/:name/:shard/ids") { _, context in
            let replica = try API.replica(context, node)
            // the ids and the sequence from one snapshot
            let (applied, ids) = try replica.collection.store.read { txn -> (UInt64, [UInt64]) in
                let ids = try txn.ids()
                let applied = try txn.attachment(named: ShardReplica.appliedAttachment).map { data in
                    data.count == 8 ? data.reversed().reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } : 0
                } ?? 0
                return (applied, ids)
            }
            return try API.json(ShardIDs(applied: applied, ids: ids.sorted()))
        }
        router.post("/v1/cluster/shards/:name/:shard/search") { request, context in
            let (name, shard) = try API.shard(context)
            let search = try await JSONBody.decode(ShardSearchRequest.self, from: request, limit: maximumBodyBytes)
            return try API.json(try await node.searchLocal(name, shard: shard, search.search, minimumSequence: search.minimumSequence, defaultEf: defaultEf))
        }
        router.get("/v1/cluster/shards/:name/:shard/points/:id") { _, context in
            try ClusterNode.pointResponse(try API.id(context), in: try API.replica(context, node))
        }
        router.get("/v1/cluster/shards/:name/:shard/snapshot") { _, context in
            let replica = try API.replica(context, node)
            let file = try await ClusterNode.blocking { try node.makeSnapshot(of: replica) }
            let body = try await FileIO().loadFile(path: file.path, context: context)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: body)
        }
    }

    /// The `{name}` and `{shard}` path parameters.
    static func shard(_ context: BasicRequestContext) throws -> (String, Int) {
        let name = try API.name(context)
        let text = context.parameters.get("shard") ?? ""
        guard let shard = Int(text), shard >= 0 else { throw APIError.invalidField("shard: expected a shard number, got \"\(text.prefix(40))\"") }
        return (name, shard)
    }

    /// This node's replica named by the path; 404 when it holds none.
    static func replica(_ context: BasicRequestContext, _ node: ClusterNode) throws -> ShardReplica {
        let (name, shard) = try shard(context)
        guard let replica = node.replica(name, shard: shard) else {
            throw APIError.notFound("node \(node.name) holds no replica of shard \(shard) of \(name)")
        }
        return replica
    }
}
