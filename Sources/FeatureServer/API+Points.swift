import FeatureMemory
import Hummingbird

extension API {
    /// Upserts, reads and deletes of points; every write goes through the collection's group committer.
    func registerPoints(on router: Router<BasicRequestContext>) {
        router.post("/v1/collections/:name/points") { request, context in
            let name = try API.name(context)
            let body = try await JSONBody.decode(UpsertRequest.self, from: request, limit: maximumBodyBytes)
            try API.checkCount(body.points.count, field: "points")
            return try await registry.using(name) { collection in
                let items = try API.items(body.points, rules: collection.store.putRules)
                let upserted = try await collection.writer.write(weight: items.count) { txn in
                    for (index, item) in items.enumerated() {
                        do { try txn.put(item) } catch let error as StoreError { throw StoreError.batchItem(index: index, error) }
                    }
                    return items.count
                }
                collection.metrics?.pointsUpserted.increment(by: Int64(upserted))
                return try API.json(Upserted(upserted: upserted))
            }
        }
        router.get("/v1/collections/:name/points/:id") { _, context in
            let id = try API.id(context)
            return try await registry.using(try API.name(context)) { collection in
                let point = try collection.store.read { txn -> StoredVector? in try txn.contains(id) ? try txn.get(id) : nil }
                guard let point else { throw APIError.notFound("no point \(id) in \(collection.name)") }
                return try API.json(PointOutput(id: point.id, vector: point.vector, label: point.metadata.label))
            }
        }
        router.delete("/v1/collections/:name/points/:id") { _, context in
            let id = try API.id(context)
            return try await registry.using(try API.name(context)) { collection in
                let deleted = try await collection.writer.write(weight: 1) { txn in try API.delete([id], in: txn) }
                collection.metrics?.pointsDeleted.increment(by: Int64(deleted))
                guard deleted == 1 else { throw APIError.notFound("no point \(id) in \(collection.name)") }
                return try API.json(Deleted(deleted: 1))
            }
        }
        router.post("/v1/collections/:name/points/delete") { request, context in
            let name = try API.name(context)
            let body = try await JSONBody.decode(DeleteRequest.self, from: request, limit: maximumBodyBytes)
            try API.checkCount(body.ids.count, field: "ids")
            return try await registry.using(name) { collection in
                let deleted = try await collection.writer.write(weight: body.ids.count) { txn in try API.delete(body.ids, in: txn) }
                collection.metrics?.pointsDeleted.increment(by: Int64(deleted))
                return try API.json(Deleted(deleted: deleted))
            }
        }
    }

    /// 400 unless a list has 1…10,000 entries.
    static func checkCount(_ count: Int, field: String) throws {
        guard Limits.itemsPerRequest.contains(count) else {
            throw APIError.invalidField("\(field): give \(Limits.itemsPerRequest.lowerBound)…\(Limits.itemsPerRequest.upperBound), got \(count)")
        }
    }

    /// The points as items, checked by the store's own put rules before they wait for a group
    /// (so a refused point fails its request alone, at once); of ids given twice the last wins
    /// (in the place of its first).
    static func items(_ points: [PointInput], rules: PutRules) throws -> [VectorItem] {
        var position: [UInt64: Int] = [:]
        var items: [VectorItem] = []
        items.reserveCapacity(points.count)
        for (index, point) in points.enumerated() {
            let item = VectorItem(id: point.id, vector: try point.vector.checked(dimension: rules.dimension), label: point.label)
            do {
                try rules.check(item)
            } catch StoreError.invalidLabel(let reason) {
                throw APIError.invalidField("points[\(index)].label: \(reason)")
            } catch let error as StoreError {
                throw StoreError.batchItem(index: index, error)
            }
            if let earlier = position[point.id] { items[earlier] = item } else {
                position[point.id] = items.count
                items.append(item)
            }
        }
        return items
    }

    /// Deletes the ids that exist; returns how many did.
    static func delete(_ ids: [UInt64], in txn: WriteTransaction) throws -> Int {
        var deleted = 0
        for id in Set(ids) where try txn.contains(id) {
            try txn.delete(id)
            deleted += 1
        }
        return deleted
    }
}
