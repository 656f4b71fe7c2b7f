import FeatureCluster
import FeatureMemory
import Foundation
import Hummingbird

extension API {
    /// The collection, point and search routes of a clustered node: every collection is sharded
    /// and replicated through the cluster's logs.
    func registerClusterCollections(on router: Router<BasicRequestContext>, node: ClusterNode) {
        router.put("/v1/collections/:name") { request, context in
            let body = try await JSONBody.decode(ClusterCollectionRequest.self, from: request, limit: maximumBodyBytes)
            return try await create(try API.name(context), body, on: node)
        }
        router.post("/v1/collections") { request, _ in
            let body = try await JSONBody.decode(ClusterCollectionRequest.self, from: request, limit: maximumBodyBytes)
            guard let name = body.name else { throw APIError.invalidField("name: missing") }
            try CollectionRegistry.checkName(name)
            return try await create(name, body, on: node)
        }
        router.get("/v1/collections") { _, _ in
            try API.json(try ClusterStatusReport.make(node: node, streams: false))
        }
        router.get("/v1/collections/:name") { _, context in
            let name = try API.name(context)
            _ = try node.collection(named: name)
            let status = try await ClusterNode.blocking { try ClusterStatusReport.make(node: node, streams: true) }
            guard let collection = status.collections[name] else { throw APIError.notFound("no collection named \(name)") }
            return try API.json(collection)
        }
        router.delete("/v1/collections/:name") { _, context in
            let name = try API.name(context)
            try await ClusterNode.blocking { try node.deleteCollection(name) }
            return try API.json(CollectionDeleted(deleted: name))
        }
        router.post("/v1/collections/:name/points") { request, context in
            let name = try API.name(context)
            let body = try await JSONBody.decode(UpsertRequest.self, from: request, limit: maximumBodyBytes)
            try API.checkCount(body.points.count, field: "points")
            let collection = try node.collection(named: name)
            let rules = try PutRules(dimension: collection.dimension, metric: Metric(rawValue: collection.metric) ?? .cosine)
            let items = try API.items(body.points, rules: rules)
            var byShard: [Int: [LogRecord.Point]] = [:]
            for item in items {
                byShard[ShardRouting.shard(of: item.id, count: collection.shards), default: []]
                    .append(LogRecord.Point(id: item.id, vector: item.vector, label: item.label))
            }
            let sequences = try await node.publish(byShard.mapValues { LogRecord.upsert($0) }, to: name)
            try await waitIfAsked(request, name, sequences, node)
            return try API.json(ClusterWritten(upserted: items.count, sequences: API.keyed(sequences)))
        }
        router.post("/v1/collections/:name/points/delete") { request, context in
            let name = try API.name(context)
            let body = try await JSONBody.decode(DeleteRequest.self, from: request, limit: maximumBodyBytes)
            try API.checkCount(body.ids.count, field: "ids")
            let sequences = try await deleteIDs(Array(Set(body.ids)), from: name, node)
            try await waitIfAsked(request, name, sequences, node)
            return try API.json(ClusterWritten(deleted: Set(body.ids).count, sequences: API.keyed(sequences)))
        }
        router.delete("/v1/collections/:name/points/:id") { request, context in
            let name = try API.name(context)
            let sequences = try await deleteIDs([try API.id(context)], from: name, node)
            try await waitIfAsked(request, name, sequences, node)
            return try API.json(ClusterWritten(deleted: 1, sequences: API.keyed(sequences)))
        }
        router.get("/v1/collections/:name/points/:id") { _, context in
            let name = try API.name(context)
            let id = try API.id(context)
            let collection = try node.collection(named: name)
            return try await node.point(id, in: name, shard: ShardRouting.shard(of: id, count: collection.shards))
        }
        router.post("/v1/collections/:name/search") { request, context in
            let name = try API.name(context)
            let search = try await JSONBody.decode(ClusterSearchRequest.self, from: request, limit: maximumBodyBytes)
            return try API.json(try await node.search(search, in: name, defaultEf: defaultEf))
        }
    }

    private func create(_ name: String, _ body: ClusterCollectionRequest, on node: ClusterNode) async throws -> Response {
        let settings = body.settings
        let wanted = ClusterMap.ShardedCollection(
            dimension: settings.dimension, metric: settings.metric.rawValue, m: settings.m, efConstruction: settings.efConstruction,
            shards: body.shards, replicas: body.replicas)
        let created = try await ClusterNode.blocking { try node.createCollection(name, wanted) }
        let status = try await ClusterNode.blocking { try ClusterStatusReport.make(node: node, streams: true) }
        guard let collection = status.collections[name] else { throw APIError.internalError("collection \(name) vanished as it was made") }
        return try API.json(collection, status: created ? .created : .ok)
    }

    private func deleteIDs(_ ids: [UInt64], from name: String, _ node: ClusterNode) async throws -> [Int: UInt64] {
        let collection = try node.collection(named: name)
        var byShard: [Int: [UInt64]] = [:]
        for id in ids { byShard[ShardRouting.shard(of: id, count: collection.shards), default: []].append(id) }
        return try await node.publish(byShard.mapValues { LogRecord.delete($0) }, to: name)
    }

    /// With `?wait=applied`, waits until the shards' live replicas applied the write.
    private func waitIfAsked(_ request: Request, _ name: String, _ sequences: [Int: UInt64], _ node: ClusterNode) async throws {
        guard let wait = request.uri.queryParameters.get("wait") else { return }
        guard wait == "applied" else { throw APIError.invalidField("wait: the only value is \"applied\", got \"\(wait.prefix(40))\"") }
        try await node.waitUntilApplied(name, sequences: sequences, timeout: .seconds(10))
    }

    /// Shard numbers as JSON object keys.
    static func keyed(_ sequences: [Int: UInt64]) -> [String: UInt64] {
        Dictionary(uniqueKeysWithValues: sequences.map { (String($0.key), $0.value) })
    }
}
