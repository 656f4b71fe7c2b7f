/// Where a point and a shard's log live: the shard of an id, and the stream and subject of a shard.
public enum ShardRouting {
    /// The shard of `id` among `count`: SplitMix64's finalizer of the id, modulo `count`, so that
    /// consecutive ids spread evenly and every node and tool computes the same.
    public static func shard(of id: UInt64, count: Int) -> Int {
        var z = id &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(max(count, 1)))
    }

    /// The JetStream stream of a shard: `FMDB_<collection>_<shard>` (collection names are `[A-Za-z0-9_-]`).
    public static func stream(_ collection: String, shard: Int) -> String { "FMDB_\(collection)_\(shard)" }

    /// The subject a shard's log records are published to: `fmdb.<collection>.<shard>`.
    public static func subject(_ collection: String, shard: Int) -> String { "fmdb.\(collection).\(shard)" }

    /// The name of a shard replica's store in a node's directory: `<collection>.<shard>`.
    public static func replicaName(_ collection: String, shard: Int) -> String { "\(collection).\(shard)" }
}
