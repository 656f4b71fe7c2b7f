import Foundation

/// How `fmdb serve --cluster` joins a cluster.
public struct ClusterConfiguration: Sendable {
    /// The NATS servers (`nats://host:port`), any of the cluster's.
    public var natsURLs: [String]
    /// This node's name, unique in the cluster: `[A-Za-z0-9_-]{1,64}`.
    public var node: String
    /// Where other nodes and tools reach this node's HTTP API (nil: the address it listens on).
    public var advertiseURL: String?

    /// A configuration joining the servers at `natsURLs` as `node`.
    public init(natsURLs: [String], node: String, advertiseURL: String?) {
        self.natsURLs = natsURLs
        self.node = node
        self.advertiseURL = advertiseURL
    }
}
