import FeatureMemory
import Hummingbird

extension API {
    /// `POST .../search` and `POST .../search/batch`: LMDB readers, never waiting for a writer.
    func registerSearch(on router: Router<BasicRequestContext>) {
        router.post("/v1/collections/:name/search") { request, context in
            let name = try API.name(context)
            let search = try await JSONBody.decode(SearchRequest.self, from: request, limit: maximumBodyBytes)
            return try await registry.using(name) { collection in
                try API.json(try API.run([search], in: collection, defaultEf: defaultEf)[0])
            }
        }
        router.post("/v1/collections/:name/search/batch") { request, context in
            let name = try API.name(context)
            let batch = try await JSONBody.decode(BatchSearchRequest.self, from: request, limit: maximumBodyBytes)
            guard Limits.searchesPerBatch.contains(batch.searches.count) else {
                throw APIError.invalidField(
                    "searches: give \(Limits.searchesPerBatch.lowerBound)…\(Limits.searchesPerBatch.upperBound), got \(batch.searches.count)")
            }
            return try await registry.using(name) { collection in
                try API.json(BatchSearchOutput(results: try API.run(batch.searches, in: collection, defaultEf: defaultEf)))
            }
        }
    }

    /// Runs searches in one read transaction (one snapshot), labels included; `defaultEf` for
    /// those that give no ef. Graph searches are offered to the collection's recall canary.
    static func run(_ searches: [SearchRequest], in collection: Collection, defaultEf: Int?) throws -> [SearchOutput] {
        let store = collection.store
        let vectors = try searches.map { try $0.vector.checked(dimension: store.dimension) }
        return try store.read { txn in
            try zip(searches, vectors).map { search, vector in
                let filter = search.label.map { SearchFilter.label($0) }
                let results = search.exact
                    ? try txn.exactNearest(to: vector, count: search.k, filter: filter)
                    : try txn.nearest(to: vector, count: search.k, ef: search.ef ?? defaultEf, filter: filter)
                if !search.exact {
                    collection.canary.offer(RecallCanary.Sample(vector: vector, k: search.k, ef: search.ef ?? defaultEf, label: search.label))
                }
                // finite values can still overflow a distance (l2 squares, ip multiplies): JSON has
                // no infinity, and the order of such results means nothing
                guard results.allSatisfy({ $0.distance.isFinite }) else {
                    throw APIError.invalidField("\(search.vector.field): its distances overflow float32 (values too large)")
                }
                return SearchOutput(
                    ids: results.map(\.id), distances: results.map(\.distance),
                    labels: try results.map { try txn.metadata(for: $0.id).label })
            }
        }
    }
}
