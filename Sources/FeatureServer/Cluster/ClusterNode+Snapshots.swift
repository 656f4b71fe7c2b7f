import AsyncHTTPClient
import FeatureCluster
import FeatureMemory
import Foundation
import NIOCore
import Synchronization

/// Snapshots: a replica joins a shard by copying a live replica's store (`fmdb backup`'s
/// consistent LMDB copy, which carries the applied sequence) and then applying the log after it.
extension ClusterNode {
    /// Where snapshots being served are staged.
    private var snapshotDirectory: URL { directory.appendingPathComponent(".snapshots") }

    /// Writes a consistent copy of `replica`'s store and returns its file; copies older than ten
    /// minutes (served by now, or abandoned) are removed first.
    func makeSnapshot(of replica: ShardReplica) throws -> URL {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: snapshotDirectory, withIntermediateDirectories: true)
        for entry in (try? fileManager.contentsOfDirectory(atPath: snapshotDirectory.path)) ?? [] {
            let path = snapshotDirectory.appendingPathComponent(entry)
            let modified = (try? fileManager.attributesOfItem(atPath: path.path)[.modificationDate] as? Date) ?? .distantPast
            if Date().timeIntervalSince(modified) > 600 { try? fileManager.removeItem(at: path) }
        }
        let destination = snapshotDirectory.appendingPathComponent("\(replica.name)-\(UUID().uuidString)")
        _ = try FeatureStore.backup(from: replica.collection.store.directory, to: destination)
        return destination.appendingPathComponent("data.mdb")
    }

    /// Downloads the snapshot of replica `replicaName` from the node at `sourceURL` into a staging
    /// directory, checks that it opens as a store, then moves it to `path`.
    func copySnapshot(of collectionName: String, shard: Int, from sourceURL: String, to path: URL) throws {
        let fileManager = FileManager.default
        let replicaName = ShardRouting.replicaName(collectionName, shard: shard)
        let staging = directory.appendingPathComponent(".incoming-\(replicaName)-\(UUID().uuidString)")
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: staging) }
        let file = staging.appendingPathComponent("data.mdb")
        let status = Mutex<UInt>(0)
        let delegate = try FileDownloadDelegate(path: file.path, reportHead: { _, head in status.withLock { $0 = head.status.code } })
        var request = try HTTPClient.Request(url: "\(sourceURL)/v1/cluster/shards/\(collectionName)/\(shard)/snapshot", method: .GET)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let progress = try http.execute(request: request, delegate: delegate, deadline: NIODeadline.now() + TimeAmount.minutes(30)).wait()
        let code = status.withLock { $0 }
        guard code == 200 else { throw ServerStartError("the snapshot request answered \(code)") }
        if let total = progress.totalBytes, total != progress.receivedBytes {
            throw ServerStartError("the snapshot ended after \(progress.receivedBytes) of \(total) bytes")
        }
        let handle = try FileHandle(forUpdating: file)
        try handle.synchronize()
        try handle.close()
        // a damaged copy fails here, before it takes the replica's place
        _ = try ShardReplica.appliedSequence(of: try FeatureStore(at: staging, options: .init(createIfMissing: false)))
        if fileManager.fileExists(atPath: path.path) { try fileManager.removeItem(at: path) }
        try fileManager.moveItem(at: staging, to: path)
    }
}
