import FeatureCluster
import FeatureMemory
import Foundation
import Logging
import Synchronization

/// This node's replica of one shard: a store in `DIR/shards/<collection>.<shard>` that a thread
/// of its own fills from the shard's stream, in order, committing the stream sequence applied in
/// the same LMDB transaction as the points — so after any crash it resumes exactly where its
/// store ends, and applies every entry once.
final class ShardReplica: Sendable {
    /// The clustered collection's name.
    let collectionName: String
    /// The shard's number.
    let shard: Int
    /// The store and what serves searches on it (its canary, its /metrics series).
    let collection: Collection
    /// nil: a replica that only applies what it is given (tests).
    private let connection: NATSConnection?
    private let logger: Logger
    private let appliedSequence: Atomic<UInt64>
    private let pendingEntries = Atomic<UInt64>(0)
    /// Whether it has caught up with the log once since it opened (and so serves searches).
    let isReady = Atomic<Bool>(false)
    /// Whether the log no longer holds the entries after what the store has: only a snapshot of
    /// another replica can bring it up to date.
    let needsSnapshot = Atomic<Bool>(false)
    private let running = Atomic<Bool>(true)
    private let stopped = DispatchSemaphore(value: 0)
    /// Entries applied since the store opened that were not records, or points the store refused.
    let skippedEntries = Atomic<Int>(0)

    /// The attachment holding the last stream sequence applied (UInt64, little-endian).
    static let appliedAttachment = "cluster/applied_sequence"

    /// Wraps the replica's open store; reads where it stands in the log.
    init(collectionName: String, shard: Int, collection: Collection, connection: NATSConnection?, logger: Logger) throws {
        self.collectionName = collectionName
        self.shard = shard
        self.collection = collection
        self.connection = connection
        self.logger = logger
        appliedSequence = Atomic(try Self.appliedSequence(of: collection.store))
    }

    /// The sequence the store's last commit applied.
    static func appliedSequence(of store: FeatureStore) throws -> UInt64 {
        guard let data = try store.attachment(named: appliedAttachment), data.count == 8 else { return 0 }
        return data.reversed().reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
    }

    /// The last stream sequence committed to the store.
    var applied: UInt64 { appliedSequence.load(ordering: .acquiring) }

    /// Log entries after the last one applied, as the log said when that one arrived.
    var lag: UInt64 { pendingEntries.load(ordering: .relaxed) }

    /// The replica's name: `<collection>.<shard>`.
    var name: String { ShardRouting.replicaName(collectionName, shard: shard) }

    /// Starts the thread that applies the log.
    func start() {
        let thread = Thread { [self] in
            applyLoop()
            stopped.signal()
        }
        thread.name = "apply \(name)"
        thread.start()
    }

    /// Stops applying (waits at most 10 s for the batch in progress to commit).
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        _ = stopped.wait(timeout: .now() + 10)
    }

    /// Waits until the store has applied `sequence`, at most `timeout`; whether it has.
    func waitUntilApplied(_ sequence: UInt64, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while applied < sequence {
            guard ContinuousClock.now < deadline, running.load(ordering: .acquiring) else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    private var stream: String { ShardRouting.stream(collectionName, shard: shard) }

    private func applyLoop() {
        guard let connection else { return }
        var subscription: LogSubscription?
        var catchUpTarget: UInt64 = 0
        var idleRounds = 0
        while running.load(ordering: .acquiring) {
            do {
                if subscription == nil {
                    let state = try connection.streamState(stream)
                    let applied = self.applied
                    if state.firstSequence > applied + 1 && state.lastSequence > applied {
                        // trimmed below what this store holds: the agent replaces it with a snapshot
                        logger.warning("\(name): the log starts at \(state.firstSequence), the store ends at \(applied); needs a snapshot")
                        needsSnapshot.store(true, ordering: .releasing)
                        return
                    }
                    catchUpTarget = state.lastSequence
                    subscription = try LogSubscription(connection, stream: stream, subject: ShardRouting.subject(collectionName, shard: shard), from: applied + 1)
                }
                if self.applied >= catchUpTarget { isReady.store(true, ordering: .releasing) }
                guard let reader = subscription else { continue }
                guard let first = try reader.next(timeout: .milliseconds(250)) else {
                    // nothing came: if the log has moved on, the consumer is lost (its server died
                    // and the client has not noticed yet): read again from what the store has
                    idleRounds += 1
                    if idleRounds % 8 == 0, try connection.streamState(stream).lastSequence > self.applied {
                        logger.warning("\(name): the log is ahead and nothing arrives; subscribing again")
                        subscription = nil
                    }
                    continue
                }
                idleRounds = 0
                // what has already arrived joins one transaction: one fsync for many entries
                // bounded in points, so the applied sequence (what read-your-writes, backpressure
                // and a stop wait for) advances at least every few hundred inserts
                var entries = [first]
                var points = LogRecord.itemCount(in: first.data)
                while entries.count < 256, points < Self.pointsPerTransaction, let more = try reader.next(timeout: .milliseconds(1)) {
                    entries.append(more)
                    points += LogRecord.itemCount(in: more.data)
                }
                try apply(entries)
            } catch let gap as LogGap {
                logger.warning("\(name): \(gap); needs a snapshot")
                needsSnapshot.store(true, ordering: .releasing)
                return
            } catch {
                logger.warning("\(name): applying the log failed, retrying: \(error)")
                subscription = nil
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// Points (or ids) per apply transaction, beyond which no further entry joins it.
    static let pointsPerTransaction = 500

    /// An entry after a missing one: the log was trimmed past this store.
    struct LogGap: Error, CustomStringConvertible {
        let expected: UInt64, found: UInt64
        var description: String { "the log went from \(expected - 1) to \(found)" }
    }

    /// Applies `entries` (in stream order) in one transaction with the last sequence; entries
    /// at or below the applied sequence are skipped.
    func apply(_ entries: [LogEntry]) throws {
        let start = applied
        let rules = collection.store.putRules
        var skipped = 0
        let reached = try collection.store.write { txn -> UInt64 in
            var current = start
            for entry in entries where entry.sequence > current {
                guard entry.sequence == current + 1 else { throw LogGap(expected: current + 1, found: entry.sequence) }
                current = entry.sequence
                // every replica decides the same for the same bytes, so skipping keeps them equal
                guard let record = try? LogRecord(decoding: entry.data) else {
                    skipped += 1
                    continue
                }
                switch record {
                case .upsert(let points):
                    for point in points {
                        let item = VectorItem(id: point.id, vector: point.vector, label: point.label)
                        guard (try? rules.check(item)) != nil else {
                            skipped += 1
                            continue
                        }
                        // a point written again as it is (a client's retry, a batch sent twice)
                        // changes nothing: skip the graph's delete and re-insert. A stored record
                        // that does not read (damage) is not the same: the put rewrites it, where
                        // an error here would stop this replica's log at this entry for good
                        if try txn.contains(point.id), (try? txn.vector(for: point.id)) == point.vector,
                           (try? txn.metadata(for: point.id)).map({ $0.label == point.label }) == true {
                            continue
                        }
                        try txn.put(item)
                    }
                case .delete(let ids):
                    for id in ids where try txn.contains(id) { try txn.delete(id) }
                }
            }
            if current != start {
                try txn.setAttachment(withUnsafeBytes(of: current.littleEndian) { Data($0) }, named: Self.appliedAttachment)
            }
            return current
        }
        if skipped > 0 {
            skippedEntries.add(skipped, ordering: .relaxed)
            logger.warning("\(name): skipped \(skipped) entries or points the store refuses")
        }
        appliedSequence.store(reached, ordering: .releasing)
        if let last = entries.last { pendingEntries.store(last.pending, ordering: .relaxed) }
    }
}
