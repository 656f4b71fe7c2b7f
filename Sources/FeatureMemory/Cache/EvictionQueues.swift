/// Which node cache entry makes room for a new one.
public enum CachePolicy: String, Sendable, CaseIterable, Codable {
    /// A hand sweeps the slots; an entry used by a search since the hand last passed gets another
    /// round (a use count of up to 3 rounds).
    case clock
    /// S3-FIFO (Yang et al., SOSP 2023): new entries wait in a small queue (a tenth of the cache);
    /// those a later search uses move to the main queue, the rest leave early and are remembered
    /// in a ghost list, so an entry that comes back soon goes straight to the main queue. A search
    /// touching hundreds of nodes once cannot flush the nodes every search needs.
    case s3fifo
}

/// The eviction order of the node cache's slots, kept under the cache's lock. Use counts live in
/// the slots (readers bump them without the lock); `victim` reads and lowers them through a closure.
struct EvictionQueues {
    let policy: CachePolicy
    private var hand = 0
    private var small = SlotRing()
    private var main = SlotRing()
    private var ghost = Set<UInt32>()
    private var ghostOrder = SlotRing()

    init(policy: CachePolicy) { self.policy = policy }

    /// Notes that `slot` now holds `node`, new to the cache.
    mutating func admit(_ slot: Int, node: UInt32) {
        guard policy == .s3fifo else { return }
        if ghost.remove(node) != nil { main.push(Int32(slot)) } else { small.push(Int32(slot)) }
    }

    /// Notes that `slot`'s entry, for `node`, was evicted.
    mutating func evicted(_ slot: Int, node: UInt32) {
        guard policy == .s3fifo else { return }
        ghost.insert(node)
        ghostOrder.push(Int32(bitPattern: node))
        // the ghost list remembers about as many nodes as the main queue holds
        while ghostOrder.count > max(main.count, 64), let old = ghostOrder.pop() { ghost.remove(UInt32(bitPattern: old)) }
    }

    /// The slot to free among the first `limit`. `uses(slot, lower)` returns a slot's use count
    /// and, when `lower`, decrements it.
    mutating func victim(limit: Int, uses: (Int, Bool) -> UInt8) -> Int {
        switch policy {
        case .clock:
            while true {
                if hand >= limit { hand = 0 }
                let slot = hand
                hand += 1
                if uses(slot, true) == 0 { return slot }
            }
        case .s3fifo:
            let smallLimit = max(1, limit / 10)
            while true {
                if small.count >= smallLimit || main.count == 0, let slot = small.pop() {
                    if uses(Int(slot), false) > 0 {
                        main.push(slot)
                        continue
                    }
                    return Int(slot)
                }
                guard let slot = main.pop() else { return 0 }
                if uses(Int(slot), true) > 0 {
                    main.push(slot)
                    continue
                }
                return Int(slot)
            }
        }
    }

    /// Forgets slots at and above `bound` (the cache shrank).
    mutating func removeSlots(from bound: Int) {
        small.removeAll { Int($0) >= bound }
        main.removeAll { Int($0) >= bound }
        if hand >= bound { hand = 0 }
    }
}

/// A growable FIFO ring of 32-bit values.
struct SlotRing {
    private var buffer: [Int32] = []
    private var head = 0
    private(set) var count = 0

    mutating func push(_ value: Int32) {
        if count == buffer.count { grow() }
        buffer[(head + count) % buffer.count] = value
        count += 1
    }

    mutating func pop() -> Int32? {
        guard count > 0 else { return nil }
        let value = buffer[head]
        head = (head + 1) % buffer.count
        count -= 1
        return value
    }

    mutating func removeAll(where shouldRemove: (Int32) -> Bool) {
        var kept: [Int32] = []
        kept.reserveCapacity(count)
        while let value = pop() {
            if !shouldRemove(value) { kept.append(value) }
        }
        buffer = kept
        head = 0
        count = kept.count
    }

    private mutating func grow() {
        var grown = [Int32](repeating: 0, count: max(64, buffer.count * 2))
        for i in 0..<count { grown[i] = buffer[(head + i) % buffer.count] }
        buffer = grown
        head = 0
    }
}
