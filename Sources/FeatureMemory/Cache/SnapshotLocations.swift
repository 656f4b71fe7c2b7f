import Foundation
internal import CFeatureMemoryShims

/// Where each node's vector and layer-0 links lie in the map, for one committed snapshot.
///
/// A B-tree lookup costs more than the distance computation it feeds, and a search repeats the
/// same lookups query after query. Pages reachable from the latest committed snapshot are never
/// changed in place (LMDB copies on write) and cannot be reused while a reader holds that
/// snapshot, so an address found by any reader of snapshot T stays valid for every reader of T.
/// The table is keyed by snapshot id and map generation: a commit or a map resize starts a new one.
/// Write transactions never use it (their own writes move pages).
final class SnapshotLocations: @unchecked Sendable {
    // @unchecked: slots are written and read with relaxed atomic pointer operations; all writers
    // of one table store the same address for a node.

    /// The committed snapshot these addresses belong to.
    let snapshotID: Int
    /// The map generation (bumped by every resize) they were found in.
    let mapGeneration: Int
    /// Node ids below this bound have slots.
    let capacity: Int
    private let vectorSlots: UnsafeMutablePointer<UnsafeRawPointer?>
    private let linkSlots: UnsafeMutablePointer<UnsafeRawPointer?>

    init(snapshotID: Int, mapGeneration: Int, capacity: Int) {
        self.snapshotID = snapshotID
        self.mapGeneration = mapGeneration
        self.capacity = capacity
        // calloc: large tables come as untouched zero pages, so an unused table costs nothing
        vectorSlots = calloc(max(capacity, 1), MemoryLayout<UnsafeRawPointer?>.stride)!
            .bindMemory(to: UnsafeRawPointer?.self, capacity: max(capacity, 1))
        linkSlots = calloc(max(capacity, 1), MemoryLayout<UnsafeRawPointer?>.stride)!
            .bindMemory(to: UnsafeRawPointer?.self, capacity: max(capacity, 1))
    }

    deinit {
        free(vectorSlots)
        free(linkSlots)
    }

    /// The address of `node`'s raw vector record (header first), if recorded.
    @inline(__always)
    func vectorRecord(_ node: UInt32) -> UnsafeRawPointer? {
        let index = Int(node)
        guard index < capacity else { return nil }
        return fm_load_pointer(vectorSlots + index)
    }

    /// Starts loading `node`'s vector into the cache when its address is known.
    @inline(__always)
    func prefetchVector(_ node: UInt32) {
        if let record = vectorRecord(node) { fm_prefetch(record) }
    }

    /// Records the address of `node`'s raw vector record.
    @inline(__always)
    func setVectorRecord(_ node: UInt32, _ address: UnsafeRawPointer) {
        let index = Int(node)
        guard index < capacity else { return }
        fm_store_pointer(vectorSlots + index, address)
    }

    /// The address of `node`'s layer-0 link block (u16 out count, u16 zero, u32 in count, out-links), if recorded.
    @inline(__always)
    func layerZeroLinks(_ node: UInt32) -> UnsafeRawPointer? {
        let index = Int(node)
        guard index < capacity else { return nil }
        return fm_load_pointer(linkSlots + index)
    }

    /// Records the address of `node`'s layer-0 link block (of a record already checked intact).
    @inline(__always)
    func setLayerZeroLinks(_ node: UInt32, _ address: UnsafeRawPointer) {
        let index = Int(node)
        guard index < capacity else { return }
        fm_store_pointer(linkSlots + index, address)
    }
}

/// The store's current location table: the one of the newest snapshot a reader has opened.
final class SnapshotLocationSlot: @unchecked Sendable {
    // @unchecked: `current` is only touched under `lock`.
    private let lock = NSLock()
    private var current: SnapshotLocations?

    /// The table for a reader of `snapshotID`: the current one when it matches, a new one when the
    /// reader's snapshot is newer, nil when an older reader asks (it uses plain lookups).
    func table(snapshotID: Int, mapGeneration: Int, capacity: Int) -> SnapshotLocations? {
        lock.withLock {
            if let current {
                if current.snapshotID == snapshotID && current.mapGeneration == mapGeneration && current.capacity >= capacity {
                    return current
                }
                if (current.mapGeneration, current.snapshotID) > (mapGeneration, snapshotID) { return nil }
            }
            let fresh = SnapshotLocations(snapshotID: snapshotID, mapGeneration: mapGeneration, capacity: capacity)
            current = fresh
            return fresh
        }
    }
}
