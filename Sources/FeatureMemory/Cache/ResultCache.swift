import Foundation

/// Search results of the newest committed snapshot, keyed by the query's exact bits, k and ef.
/// Any commit makes a newer snapshot, and the first search of it empties the cache, so a result
/// is only ever served to readers of the snapshot it was computed in. `Results` is whatever the
/// search returns; the cache only keeps and hands it back.
final class ResultCache<Results: Sendable>: @unchecked Sendable {
    // @unchecked: all state changes under `lock`.

    struct Key: Hashable {
        var k: Int
        var ef: Int
        var bits: [UInt32]
    }

    let capacity: Int
    private let lock = NSLock()
    private var snapshot = -1
    private var entries: [Key: Results] = [:]
    private(set) var lookups = 0
    private(set) var hits = 0

    init(capacity: Int) { self.capacity = capacity }

    /// The results stored for `key` in `snapshot`.
    func lookup(_ key: Key, snapshot: Int) -> Results? {
        lock.lock()
        defer { lock.unlock() }
        lookups += 1
        guard snapshot == self.snapshot, let found = entries[key] else { return nil }
        hits += 1
        return found
    }

    /// Keeps `results` for `key` in `snapshot`; results of an older snapshot are not kept.
    func insert(_ key: Key, snapshot: Int, results: Results) {
        lock.lock()
        defer { lock.unlock() }
        if snapshot > self.snapshot {
            entries.removeAll(keepingCapacity: true)
            self.snapshot = snapshot
        }
        guard snapshot == self.snapshot else { return }
        if entries.count >= capacity, let victim = entries.keys.first { entries[victim] = nil }
        entries[key] = results
    }

    /// Lookups and hits so far.
    var counts: (lookups: Int, hits: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (lookups, hits)
    }
}
