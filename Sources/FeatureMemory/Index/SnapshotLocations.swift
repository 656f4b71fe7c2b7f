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
    /// Whole graph records (for links above layer 0) and their lengths.
    private let recordSlots: UnsafeMutablePointer<UnsafeRawPointer?>
    private let recordLengths: UnsafeMutablePointer<UInt32>
    /// The snapshot's entry point, once read: 0 unknown, else bit 63 | bit 62 (has entry) | level << 32 | node.
    private let entryWord: UnsafeMutablePointer<UInt64>

    init(snapshotID: Int, mapGeneration: Int, capacity: Int) {
        self.snapshotID = snapshotID
        self.mapGeneration = mapGeneration
        self.capacity = capacity
        // calloc: large tables come as untouched zero pages, so an unused table costs nothing
        vectorSlots = calloc(max(capacity, 1), MemoryLayout<UnsafeRawPointer?>.stride)!
            .bindMemory(to: UnsafeRawPointer?.self, capacity: max(capacity, 1))
        linkSlots = calloc(max(capacity, 1), MemoryLayout<UnsafeRawPointer?>.stride)!
            .bindMemory(to: UnsafeRawPointer?.self, capacity: max(capacity, 1))
        recordSlots = calloc(max(capacity, 1), MemoryLayout<UnsafeRawPointer?>.stride)!
            .bindMemory(to: UnsafeRawPointer?.self, capacity: max(capacity, 1))
        recordLengths = calloc(max(capacity, 1), 4)!.bindMemory(to: UInt32.self, capacity: max(capacity, 1))
        entryWord = .allocate(capacity: 1)
        entryWord.initialize(to: 0)
    }

    deinit {
        free(vectorSlots)
        free(linkSlots)
        free(recordSlots)
        free(recordLengths)
        entryWord.deallocate()
    }

    /// The entry point of this snapshot when a reader already read it: .some(nil) for an empty graph.
    @inline(__always)
    var entryPoint: (node: UInt32, level: Int)?? {
        let word = fm_load_u64_acquire(entryWord)
        guard word != 0 else { return nil }
        guard word & (1 << 62) != 0 else { return .some(nil) }
        return .some((UInt32(truncatingIfNeeded: word), Int((word >> 32) & 0x3FFF_FFFF)))
    }

    /// Records the entry point read from this snapshot's meta table.
    func setEntryPoint(_ entry: (node: UInt32, level: Int)?) {
        var word: UInt64 = 1 << 63
        if let entry { word |= 1 << 62 | UInt64(entry.level) << 32 | UInt64(entry.node) }
        fm_store_u64_release(entryWord, word)
    }

    /// The whole graph record of `node` (checked intact), if recorded.
    @inline(__always)
    func graphRecord(_ node: UInt32) -> UnsafeRawBufferPointer? {
        let index = Int(node)
        guard index < capacity, let start = fm_load_pointer(recordSlots + index) else { return nil }
        fm_fence_acquire()
        return UnsafeRawBufferPointer(start: start, count: Int(fm_load_u32_relaxed(recordLengths + index)))
    }

    /// Records the address of `node`'s graph record, already checked intact. The length is
    /// stored first, so a reader that sees the address sees its length.
    func setGraphRecord(_ node: UInt32, _ record: UnsafeRawBufferPointer) {
        let index = Int(node)
        guard index < capacity, let start = record.baseAddress else { return }
        fm_store_u32_relaxed(recordLengths + index, UInt32(record.count))
        fm_fence_release()
        fm_store_pointer(recordSlots + index, start)
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

    /// Records where `node`'s vector record lies, checked by its checksum already, unless it is
    /// LZ4-compressed (decompressing costs more than the lookup the address saves). A raw record
    /// is then read in place, one of a lower precision decoded without checking it again.
    @inline(__always)
    func noteCheckedVectorRecord(_ node: UInt32, _ record: UnsafeRawBufferPointer) {
        guard record.count > 1, record[1] != VectorRecord.Codec.shuffledLZ4.rawValue, let start = record.baseAddress else { return }
        setVectorRecord(node, start)
    }

    /// Records where the layer-0 links of `node`'s graph record (checked intact already) lie,
    /// and the whole record when the node is above layer 0: those are few, and every query's
    /// descent reads them.
    @inline(__always)
    func noteIntactGraphRecord(_ node: UInt32, _ record: UnsafeRawBufferPointer) {
        guard let start = record.baseAddress else { return }
        setLayerZeroLinks(node, start + GraphRecord.headerSize)
        if GraphRecord.level(of: record) > 0 { setGraphRecord(node, record) }
    }

    /// The address of `node`'s layer-0 link block (its layer header, then the links; see `GraphRecord`), if recorded.
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

    /// The table for the read-only transaction `txn` of a store with these `tables` (nil for a
    /// write transaction, whose own writes move pages, or an older snapshot than the current table's).
    func table(for txn: Transaction, in tables: StoreTables, mapGeneration: Int) -> SnapshotLocations? {
        guard txn.isReadOnly else { return nil }
        // every search opens a transaction: the table of its snapshot, made by an earlier reader
        // after the node bound was checked, is returned without reading the counters again
        let snapshotID = txn.snapshotID
        if let known = lock.withLock({ current }), known.snapshotID == snapshotID, known.mapGeneration == mapGeneration {
            return known
        }
        guard let bound = try? StoreCounters.nodeBound(in: txn, tables: tables) else { return nil }
        return table(snapshotID: snapshotID, mapGeneration: mapGeneration, capacity: bound)
    }

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
