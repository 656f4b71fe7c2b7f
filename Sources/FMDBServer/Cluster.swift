import ArgumentParser
import CommandSupport
import FeatureCluster
import Foundation

extension ServerCommand {
    /// `fmdb cluster`: the cluster's map, read and changed through its JetStream bucket.
    struct Cluster: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster",
            abstract: "Show and change a cluster's membership and shard placement (docs/scaling.md).",
            subcommands: [Status.self, AddNode.self, RemoveNode.self, Rebalance.self])

        /// The `--nats` option every subcommand takes.
        struct Connection: ParsableArguments {
            @Option(help: "The cluster's NATS servers: nats://HOST:PORT[,...].")
            var nats: String

            /// Opens the cluster's bucket.
            func directory() throws -> ClusterDirectory {
                do {
                    return try ClusterDirectory(connection: try NATSConnection(urls: try natsURLs(nats), name: "fmdb cluster"))
                } catch {
                    throw CLIError("cannot reach the cluster at \(nats): \(error)")
                }
            }
        }

        /// `fmdb cluster status`.
        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "status", abstract: "Members, shard placement, each shard's log and each replica's progress.")
            @OptionGroup var connection: Connection
            @Flag(help: "One JSON object (what GET /v1/cluster answers).")
            var json = false

            func run() throws {
                let report = try ClusterReport.read(try connection.directory(), node: "fmdb cluster", streams: true)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    print(String(decoding: try encoder.encode(report), as: UTF8.self))
                    return
                }
                print("nodes:")
                for (name, node) in report.nodes.sorted(by: { $0.key < $1.key }) {
                    print("  \(name)  \(node.url)  \(node.alive ? "alive" : "DOWN")")
                }
                for (name, collection) in report.collections.sorted(by: { $0.key < $1.key }) {
                    print("collection \(name): \(collection.shards) shards × \(collection.replicas) replicas, dimension \(collection.dimension), \(collection.metric)")
                    for shard in 0..<collection.shards {
                        let log = collection.streams.first { $0.shard == shard }
                        let logText = log.map { $0.error ?? "log \($0.firstSeq ?? 0)…\($0.lastSeq ?? 0)" } ?? ""
                        let replicas = collection.replicasState[shard].map { replica in
                            "\(replica.node)@\(replica.applied.map(String.init) ?? "-")\(replica.ready ? "" : " (not ready)")\(replica.alive ? "" : " (down)")"
                        }
                        print("  shard \(shard): \(logText); \(replicas.joined(separator: ", "))")
                    }
                }
            }
        }

        /// `fmdb cluster add-node`.
        struct AddNode: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add-node",
                abstract: "Add a node (or bring back a draining one) and move replicas to it; waits until every replica serves.")
            @OptionGroup var connection: Connection
            @Argument(help: "The node's name (its fmdb serve --node).")
            var name: String
            @Option(help: "Where the node's HTTP API is: http://HOST:PORT.")
            var url: String
            @Option(help: "Seconds to wait for the moved replicas to serve (0: do not wait).")
            var timeout = 600.0

            func run() throws {
                try Cluster.checkName(name)
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw ValidationError("--url: give http(s)://HOST:PORT") }
                let directory = try connection.directory()
                let (name, url) = (self.name, self.url)
                let map = try directory.modifyMap { map in
                    map.nodes[name] = ClusterMap.Member(url: url, joined: map.nodes[name]?.joined ?? Date().timeIntervalSince1970)
                    map = map.rebalanced()
                }
                try Cluster.settle(map, directory: directory, timeout: timeout)
            }
        }

        /// `fmdb cluster remove-node`.
        struct RemoveNode: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "remove-node",
                abstract: "Move a node's replicas to the others, wait until they serve, then take it out of the map.")
            @OptionGroup var connection: Connection
            @Argument(help: "The node's name.")
            var name: String
            @Option(help: "Seconds to wait for its replicas to serve elsewhere before giving up (the node stays, draining).")
            var timeout = 600.0

            func run() throws {
                try Cluster.checkName(name)
                let directory = try connection.directory()
                let name = self.name
                guard try directory.map().map.nodes[name] != nil else { throw CLIError("no node named \(name) in the cluster") }
                let map = try directory.modifyMap { map in
                    map.nodes[name]?.draining = true
                    map = map.rebalanced()
                    guard map.nodes.contains(where: { !$0.value.draining }) else {
                        throw CLIError("\(name) is the last node: removing it would leave no replica of anything")
                    }
                }
                try Cluster.settle(map, directory: directory, timeout: timeout)
                try directory.modifyMap { $0.nodes[name] = nil }
                try? directory.removeState(of: name)
                print("removed \(name)")
            }
        }

        /// `fmdb cluster rebalance`.
        struct Rebalance: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rebalance", abstract: "Place missing replicas and even out the replicas per node; waits until they serve.")
            @OptionGroup var connection: Connection
            @Option(help: "Seconds to wait for moved replicas to serve (0: do not wait).")
            var timeout = 600.0

            func run() throws {
                let directory = try connection.directory()
                let map = try directory.modifyMap { $0 = $0.rebalanced() }
                try Cluster.settle(map, directory: directory, timeout: timeout)
            }
        }

        static func checkName(_ name: String) throws {
            guard (1...64).contains(name.utf8.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw ValidationError("a node name is 1–64 letters, digits, _ or -, got \"\(name.prefix(80))\"")
            }
        }

        /// Prints the placement, then waits (at most `timeout` seconds) until every assigned
        /// replica is on a live node that reports it ready; throws if that does not happen.
        static func settle(_ map: ClusterMap, directory: ClusterDirectory, timeout: Double) throws {
            for (name, collection) in map.collections.sorted(by: { $0.key < $1.key }) {
                for (shard, nodes) in collection.assignment.enumerated() { print("\(name) shard \(shard): \(nodes.joined(separator: ", "))") }
            }
            guard timeout > 0 else { return }
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                var states: [String: NodeState] = [:]
                for node in map.nodes.keys { if let state = try? directory.state(of: node) { states[node] = state } }
                if map.isSettled(in: ClusterView(map: map, states: states)) {
                    print("every replica serves")
                    return
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
            throw CLIError("replicas did not all serve within \(Int(timeout)) s; see fmdb cluster status")
        }
    }
}
