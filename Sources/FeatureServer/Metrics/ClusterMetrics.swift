import FeatureCluster
import Prometheus
import Synchronization

/// A clustered node's series: per shard replica it holds, the sequence applied and the entries
/// still to apply; per shard of every collection, the replicas serving against those wanted (for
/// the alerts); the fan-out's duration and the replicas it skipped.
final class ClusterMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// Time from a search's arrival to its merged answer, over every shard.
    let fanOutDuration: DurationHistogram
    private let skipped: MirroredCounter
    private let shardGauges = Mutex<[String: [Gauge]]>([:])

    /// The series in `registry`.
    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        fanOutDuration = registry.makeDurationHistogram(
            name: "featurememory_cluster_fanout_duration_seconds", labels: [],
            buckets: MetricBuckets.requestSeconds, help: "Time to search every shard of a clustered collection and merge the answers.")
        skipped = MirroredCounter(registry.makeCounter(
            name: "featurememory_cluster_replicas_skipped_total",
            help: "Shard replicas a search or read passed over for another (down, behind min_seq, or failing)."))
    }

    /// Sets the read series from `node`'s replicas and view (at each scrape).
    func update(from node: ClusterNode) {
        skipped.update(node.replicasSkipped.load(ordering: .relaxed))
        let view = node.view
        var values: [String: (labels: [(String, String)], series: [(String, String, Double)])] = [:]
        for replica in node.replicas {
            let labels = [("collection", replica.collectionName), ("shard", String(replica.shard))]
            values["replica \(replica.name)", default: (labels, [])].series += [
                ("featurememory_cluster_applied_sequence", "The last log sequence this node's replica of the shard applied.", Double(replica.applied)),
                ("featurememory_cluster_replica_lag", "Log entries this node's replica of the shard has yet to apply.", Double(replica.lag)),
                ("featurememory_cluster_replica_ready", "1 when this node's replica of the shard has caught up once and serves searches.",
                 replica.isReady.load(ordering: .acquiring) ? 1 : 0),
            ]
        }
        let members = view.map.nodes.filter { !$0.value.draining }.count
        for (name, collection) in view.map.collections {
            for shard in 0..<collection.shards {
                let labels = [("collection", name), ("shard", String(shard))]
                let replicaName = ShardRouting.replicaName(name, shard: shard)
                let serving = view.assigned(name, shard: shard).filter { view.isAlive($0) && view.states[$0]?.replicas[replicaName]?.ready == true }.count
                values["shard \(replicaName)", default: (labels, [])].series += [
                    ("featurememory_cluster_shard_serving_replicas", "Replicas of the shard on live nodes that serve searches, as this node sees them.", Double(serving)),
                    ("featurememory_cluster_shard_wanted_replicas", "Replicas the shard should have: its replica count, at most the nodes not draining.",
                     Double(min(collection.replicas, members))),
                ]
            }
        }
        shardGauges.withLock { gauges in
            for (key, gone) in gauges where values[key] == nil {
                gone.forEach { registry.unregisterGauge($0) }
                gauges[key] = nil
            }
            for (key, value) in values {
                let made = gauges[key] ?? value.series.map { series in
                    registry.makeGauge(name: series.0, labels: value.labels, help: series.1)
                }
                gauges[key] = made
                for (gauge, series) in zip(made, value.series) { gauge.set(to: series.2) }
            }
        }
    }
}
