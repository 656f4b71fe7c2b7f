import AsyncHTTPClient
import FeatureCluster
import FeatureMemory
import Foundation
import NIOCore

/// Searches: one live replica of every shard, in parallel (this node's own in process, the
/// others over HTTP), merged into the top k. A replica that is down, behind `min_seq` or failing
/// is skipped for the next; a shard none can answer fails the search, unless partial answers
/// were allowed (and then the answer says which shards are missing).
extension ClusterNode {
    /// How long one replica gets to answer before the next is tried.
    static let replicaPatience = Duration.seconds(2)

    /// The merged search of clustered collection `name`.
    func search(_ request: ClusterSearchRequest, in name: String, defaultEf: Int?) async throws -> ClusterSearchOutput {
        let started = ContinuousClock.now
        defer { metrics?.fanOutDuration.record(ContinuousClock.now - started) }
        let collection = try collection(named: name)
        let vector = try request.search.vector.checked(dimension: collection.dimension)
        let view = self.view
        let answers = await withTaskGroup(of: (Int, ShardSearchOutput?).self) { group in
            for shard in 0..<collection.shards {
                group.addTask { [self] in
                    (shard, await searchShard(name, shard: shard, request.search, vector: vector, minimumSequence: request.minimumSequences[shard] ?? 0, view: view, defaultEf: defaultEf))
                }
            }
            var answers: [Int: ShardSearchOutput?] = [:]
            for await (shard, answer) in group { answers[shard] = answer }
            return answers
        }
        let missing = answers.filter { $0.value == nil }.keys.sorted()
        if !missing.isEmpty && !request.allowPartial {
            throw APIError(.serviceUnavailable, "shard_unavailable",
                "no live replica of shard\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(name) answered; retry, or allow partial results with \"allow_partial\": true")
        }
        var merged: [(id: UInt64, distance: Float, label: String?)] = []
        for answer in answers.values.compactMap({ $0 }) {
            for index in answer.ids.indices where index < answer.distances.count && index < answer.labels.count {
                merged.append((answer.ids[index], answer.distances[index], answer.labels[index]))
            }
        }
        // ties broken by id: the same answers merge to the same order on every node
        merged.sort { ($0.distance, $0.id) < ($1.distance, $1.id) }
        let top = merged.prefix(request.search.k)
        return ClusterSearchOutput(ids: top.map(\.id), distances: top.map(\.distance), labels: top.map(\.label), partial: !missing.isEmpty, missingShards: missing)
    }

    /// The answer of the first replica of a shard that gives one, or nil.
    private func searchShard(
        _ name: String, shard: Int, _ search: SearchRequest, vector: [Float], minimumSequence: UInt64, view: ClusterView, defaultEf: Int?
    ) async -> ShardSearchOutput? {
        var candidates = view.servingNodes(name, shard: shard, minimumSequence: minimumSequence)
        // no fresh reports (this node cannot read the bucket: NATS unreachable) is not proof
        // that the replicas are down: ask the assigned nodes themselves
        if candidates.isEmpty { candidates = view.assigned(name, shard: shard) }
        // this node's own ready replica first: no network
        if let local = candidates.firstIndex(of: self.name) { candidates.insert(candidates.remove(at: local), at: 0) }
        for node in candidates {
            let answer: ShardSearchOutput?
            if node == self.name {
                answer = try? await searchLocal(name, shard: shard, search, minimumSequence: minimumSequence, defaultEf: defaultEf)
            } else {
                answer = await searchRemote(name, shard: shard, search, vector: vector, minimumSequence: minimumSequence, on: node, view: view)
            }
            if let answer { return answer }
            replicasSkipped.add(1, ordering: .relaxed)
        }
        return nil
    }

    /// Searches this node's replica of a shard once it has applied `minimumSequence` (waiting
    /// up to `replicaPatience`); throws when it has none, it is not ready, or it stays behind.
    func searchLocal(_ name: String, shard: Int, _ search: SearchRequest, minimumSequence: UInt64, defaultEf: Int?) async throws -> ShardSearchOutput {
        guard let replica = replica(name, shard: shard), replica.isReady.load(ordering: .acquiring) else {
            throw APIError.notFound("node \(self.name) serves no replica of shard \(shard) of \(name)")
        }
        guard await replica.waitUntilApplied(minimumSequence, timeout: Self.replicaPatience) else {
            throw APIError(.conflict, "behind", "replica \(replica.name) on \(self.name) has applied \(replica.applied), not \(minimumSequence)")
        }
        let applied = replica.applied
        let output = try API.run([search], in: replica.collection, defaultEf: defaultEf)[0]
        return ShardSearchOutput(ids: output.ids, distances: output.distances, labels: output.labels, applied: applied)
    }

    private func searchRemote(
        _ name: String, shard: Int, _ search: SearchRequest, vector: [Float], minimumSequence: UInt64, on node: String, view: ClusterView
    ) async -> ShardSearchOutput? {
        guard let url = view.map.nodes[node]?.url,
              let body = try? JSONEncoder().encode(ShardSearchBody(search, vector: vector, minimumSequence: minimumSequence)) else { return nil }
        var request = HTTPClientRequest(url: "\(url)/v1/cluster/shards/\(name)/\(shard)/search")
        authorize(&request)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(Self.replicaPatience.components.seconds + 1))
            let bytes = try await response.body.collect(upTo: 64 << 20)
            guard response.status == .ok else { return nil }
            return try JSONDecoder().decode(ShardSearchOutput.self, from: Data(bytes.readableBytesView))
        } catch {
            logger.info("search of \(name).\(shard) on \(node) failed: \(error)")
            return nil
        }
    }
}
