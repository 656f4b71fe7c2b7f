/// The on-disk layout of a block of vector records (table `vectors`, format 6 and later): the
/// records of `slots` consecutive nodes under one key, `node / slots`.
///
/// ```
/// offset  size  field
///      0     1  block layout (1)
///      1     1  reserved, zero
///      2     2  slots (UInt16): nodes per block, the store's `vectors_per_block`
///      4     4  first node of the block (UInt32), so a block read without its key says whose it is
///      8  4·(slots+1)  record offsets from the block's start, non-decreasing: slot i is the
///                 record of node first + i, bytes offset[i] ..< offset[i + 1], absent when empty
///      …     …  the records (`VectorRecord` layout, each with its own checksum), in slot order
/// ```
/// One record per key costs a 1,552-byte float32 record of 384 values a whole half page (LMDB
/// keeps two such values on a 4 KiB leaf): 2,048 bytes. A block of 21 of them fills eight
/// overflow pages to within 1 %, 1,560 bytes a vector. A put rewrites the block, in the same
/// transaction as everything else it writes, so blocks are only chosen where they save 8 % or
/// more (`VectorBlock.slots(recordBytes:)`): 128 float32 values, 23 records in three pages,
/// save 8.7 %.
enum VectorBlock {
    /// The layout this code writes and reads.
    static let layoutVersion: UInt8 = 1
    /// Bytes before the offsets.
    static let headerSize = 8
    /// The most bytes a block is planned to take: the write amplification of a single put.
    static let plannedBytes = 32 * 1024
    /// The most slots a block may have.
    static let maximumSlots = 64

    /// A block that does not parse: damage.
    struct Malformed: Error {}

    /// Nodes per block for records of at most `recordBytes` bytes on pages of `pageSize` bytes:
    /// the number that stores them in the fewest bytes a vector, or 1 (one record per key) when
    /// no block saves 8 % over that.
    static func slots(recordBytes: Int, pageSize: Int = 4096) -> Int {
        let perNode = bytesPerRecordAlone(recordBytes, pageSize: pageSize)
        var best = (slots: 1, bytes: perNode)
        for slots in 2...maximumSlots {
            let block = blockBytes(slots: slots, recordBytes: recordBytes)
            guard block <= plannedBytes else { break }
            let pages = (block + overflowHeaderBytes + pageSize - 1) / pageSize
            let bytes = Double(pages * pageSize) / Double(slots)
            if bytes < best.bytes { best = (slots, bytes) }
        }
        return best.bytes <= 0.92 * perNode ? best.slots : 1
    }

    /// The bytes of a block of `slots` full records of `recordBytes` each.
    static func blockBytes(slots: Int, recordBytes: Int) -> Int {
        headerSize + 4 * (slots + 1) + slots * recordBytes
    }

    /// Bytes of the page header LMDB writes before an overflow value.
    private static let overflowHeaderBytes = 16

    /// What one record per key costs on disk: its share of a full leaf page (LMDB's page header
    /// of 16 bytes, an 8-byte node header, a 4-byte key and a 2-byte slot pointer per entry),
    /// or its own overflow pages when it is more than a leaf may hold.
    private static func bytesPerRecordAlone(_ recordBytes: Int, pageSize: Int) -> Double {
        let usable = pageSize - 16
        let entry = recordBytes + 8 + 4 + 2
        // LMDB moves a value to overflow pages when its node would exceed half a leaf
        if entry <= usable / 2 { return Double(usable + 16) / Double(usable / entry) }
        let pages = (recordBytes + overflowHeaderBytes + pageSize - 1) / pageSize
        return Double(pages * pageSize + 16)
    }

    // MARK: reading

    /// The first node of block `key` of `slots` slots; nil when it lies past the last node id.
    static func firstNode(ofKey key: UInt32, slots: Int) -> UInt32? {
        let (first, overflow) = key.multipliedReportingOverflow(by: UInt32(slots))
        return overflow ? nil : first
    }

    /// The node ids block `key` of `slots` slots covers (fewer at the end of the id range).
    static func nodes(ofKey key: UInt32, slots: Int) -> [UInt32] {
        guard let first = firstNode(ofKey: key, slots: slots) else { return [] }
        let last = UInt32(clamping: min(UInt64(first) + UInt64(slots) - 1, UInt64(UInt32.max)))
        return Array(first...last)
    }

    /// The slot count `block`'s header declares, when it is one a block may have (2…64): a
    /// vector record's bytes 2 and 3 are zero, so no record passes for a block.
    static func declaredSlots(_ block: UnsafeRawBufferPointer) -> Int? {
        guard block.count >= headerSize else { return nil }
        let slots = Int(block.littleEndian(at: 2, as: UInt16.self))
        return (2...maximumSlots).contains(slots) ? slots : nil
    }

    /// The record of slot `slot` in `block`, nil when the slot is empty. Throws `Malformed` when
    /// the block's header or offsets do not parse for `slots` slots.
    @inline(__always)
    static func record(in block: UnsafeRawBufferPointer, slot: Int, slots: Int) throws(Malformed) -> UnsafeRawBufferPointer? {
        guard block.count >= headerSize + 4 * (slots + 1), slot >= 0, slot < slots else { throw Malformed() }
        let start = Int(block.littleEndian(at: headerSize + 4 * slot, as: UInt32.self))
        let end = Int(block.littleEndian(at: headerSize + 4 * (slot + 1), as: UInt32.self))
        guard start <= end, end <= block.count, start >= headerSize + 4 * (slots + 1) else { throw Malformed() }
        if start == end { return nil }
        return UnsafeRawBufferPointer(rebasing: block[start..<end])
    }

    /// Whether `block` is a well-formed block of `slots` slots beginning at `firstNode`: layout,
    /// slot count, first node and non-decreasing offsets within the block.
    static func isWellFormed(_ block: UnsafeRawBufferPointer, slots: Int, firstNode: UInt32) -> Bool {
        guard block.count >= headerSize + 4 * (slots + 1), block[0] == layoutVersion, block[1] == 0,
              Int(block.littleEndian(at: 2, as: UInt16.self)) == slots,
              block.littleEndian(at: 4, as: UInt32.self) == firstNode
        else { return false }
        var previous = headerSize + 4 * (slots + 1)
        for slot in 0...slots {
            let offset = Int(block.littleEndian(at: headerSize + 4 * slot, as: UInt32.self))
            guard offset >= previous, offset <= block.count else { return false }
            previous = offset
        }
        return previous == block.count
    }

    /// Calls `body` with the node and record of every occupied slot of a well-formed `block`,
    /// in node order, until it returns false; returns false when it stopped early.
    @discardableResult
    static func forEachRecord(
        in block: UnsafeRawBufferPointer, slots: Int, firstNode: UInt32,
        _ body: (UInt32, UnsafeRawBufferPointer) throws -> Bool
    ) rethrows -> Bool {
        for slot in 0..<slots {
            guard let record = try? record(in: block, slot: slot, slots: slots) else { continue }
            let (node, overflow) = firstNode.addingReportingOverflow(UInt32(slot))
            if overflow { break }
            if try !body(node, record) { return false }
        }
        return true
    }

    // MARK: writing

    /// The block `old` (nil: none yet) with slot `slot` holding `record` (nil: emptied); nil when
    /// no slot is left occupied. `old` must be well-formed.
    static func replacing(
        slot: Int, with record: UnsafeRawBufferPointer?, in old: UnsafeRawBufferPointer?, slots: Int, firstNode: UInt32
    ) -> [UInt8]? {
        var records: [UnsafeRawBufferPointer?] = (0..<slots).map { index in
            guard let old else { return nil }
            return try? Self.record(in: old, slot: index, slots: slots)
        }
        records[slot] = record
        let payload = records.reduce(0) { $0 + ($1?.count ?? 0) }
        guard payload > 0 else { return nil }
        let offsetsEnd = headerSize + 4 * (slots + 1)
        var block = [UInt8](repeating: 0, count: offsetsEnd + payload)
        block.withUnsafeMutableBytes { out in
            out[0] = layoutVersion
            out.storeBytes(of: UInt16(slots).littleEndian, toByteOffset: 2, as: UInt16.self)
            out.storeBytes(of: firstNode.littleEndian, toByteOffset: 4, as: UInt32.self)
            var offset = offsetsEnd
            for (index, record) in records.enumerated() {
                out.storeBytes(of: UInt32(offset).littleEndian, toByteOffset: headerSize + 4 * index, as: UInt32.self)
                if let record, record.count > 0 {
                    out.baseAddress!.advanced(by: offset).copyMemory(from: record.baseAddress!, byteCount: record.count)
                    offset += record.count
                }
            }
            out.storeBytes(of: UInt32(offset).littleEndian, toByteOffset: headerSize + 4 * slots, as: UInt32.self)
        }
        return block
    }
}
