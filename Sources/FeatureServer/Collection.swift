import FeatureMemory
import Foundation
import Synchronization

/// One collection: the store in `DIR/NAME`, its group committer, and a count of the requests
/// using it (so a deletion waits for them).
final class Collection: Sendable {
    /// The collection's name (its directory's name).
    let name: String
    /// The store.
    let store: FeatureStore
    /// Where its writes are grouped into transactions.
    let writer: GroupCommitter
    /// Whether the store's warm start has finished.
    let isWarm = Atomic<Bool>(false)
    /// Its series on /metrics (nil when the server runs without metrics).
    let metrics: CollectionMetrics?
    /// Recent searches checked against exhaustive ones.
    let canary = RecallCanary()
    private let users = Mutex(0)

    /// Wraps an open store.
    init(name: String, store: FeatureStore, groupCommit: Bool, metrics: CollectionMetrics?) {
        self.name = name
        self.store = store
        self.metrics = metrics
        self.writer = GroupCommitter(store: store, name: name, grouping: groupCommit, metrics: metrics)
    }

    /// The settings it was created with.
    var settings: CollectionSettings {
        CollectionSettings(
            dimension: store.dimension, metric: store.metric, m: store.hnswParameters.m,
            efConstruction: store.hnswParameters.efConstruction, encoding: store.encoding)
    }

    /// Counts a request in; `leave()` counts it out.
    func enter() { users.withLock { $0 += 1 } }
    /// Counts a request out.
    func leave() { users.withLock { $0 -= 1 } }
    /// Requests using the collection now.
    var userCount: Int { users.withLock { $0 } }

    /// Waits (on a background thread) for the warm start, then marks the collection warm.
    func warmUp() {
        DispatchQueue.global(qos: .utility).async { [self] in
            store.waitForPrefetches()
            isWarm.store(true, ordering: .releasing)
        }
    }

    /// What `GET /v1/collections/{name}` answers.
    func info() throws -> CollectionInfo {
        let settings = self.settings
        let cache = store.cacheStatistics
        let recall = canary.estimate
        return CollectionInfo(
            name: name, count: try store.count(), dimension: settings.dimension, metric: settings.metric.rawValue,
            m: settings.m, efConstruction: settings.efConstruction, encoding: settings.encoding.rawValue,
            bytes: CollectionMetrics.bytes(in: store.directory),
            cache: CollectionInfo.Cache(
                hits: cache?.hits ?? 0, misses: (cache?.lookups ?? 0) - (cache?.hits ?? 0),
                hitRate: cache?.hitRate ?? 0, nodes: cache?.entries ?? 0, bytes: cache?.bytesInUse ?? 0, prefetchAccuracy: cache?.prefetchAccuracyByName ?? [:]),
            recall: CollectionInfo.Recall(estimate: recall?.recall, sampleSize: recall?.sampleSize ?? 0))
    }
}
