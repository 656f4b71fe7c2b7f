import Hummingbird

extension API {
    /// `PUT|GET|DELETE /v1/collections/{name}`, `GET /v1/collections`.
    func registerCollections(on router: Router<BasicRequestContext>) {
        router.get("/v1/collections") { _, _ in
            try API.json(CollectionList(collections: try registry.all.map { try $0.info() }))
        }
        router.put("/v1/collections/:name") { request, context in
            let name = try API.name(context)
            let settings = try await JSONBody.decode(CollectionSettings.self, from: request, limit: maximumBodyBytes)
            let (collection, created) = try registry.create(name, settings: settings)
            return try API.json(try collection.info(), status: created ? .created : .ok)
        }
        router.get("/v1/collections/:name") { _, context in
            try await registry.using(try API.name(context)) { try API.json(try $0.info()) }
        }
        router.delete("/v1/collections/:name") { _, context in
            let name = try API.name(context)
            try await registry.delete(name)
            return try API.json(CollectionDeleted(deleted: name))
        }
    }
}
