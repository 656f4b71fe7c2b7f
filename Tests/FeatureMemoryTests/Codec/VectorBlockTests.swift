import Testing
@testable import FeatureMemory

/// The block layout of vector records: slot choice, every change against a reference model, and
/// damaged blocks refused rather than misread.
struct VectorBlockTests {
    @Test func blocksAreChosenOnlyWhereTheySaveEightPercent() {
        // 384 float32 values: two per leaf page alone (2,048 bytes each), 21 to a block of 8 pages
        #expect(VectorBlock.slots(recordBytes: 16 + 384 * 4) == 21)
        // 128 float32 values: seven to a leaf page (585 bytes each), 23 to a block of 3 pages
        // (534): 8.7 % less
        #expect(VectorBlock.slots(recordBytes: 16 + 128 * 4) == 23)
        // 384 int8 values: nine to a leaf page (455 bytes each), 59 to a block of 6 (417): 8.5 %
        #expect(VectorBlock.slots(recordBytes: 16 + 8 + 384) == 59)
        // 31 float32 values pack well on leaf pages (26 to a page, 158 bytes each; a block of 28
        // in one page would save 7.1 %): one record per key
        #expect(VectorBlock.slots(recordBytes: 16 + 31 * 4) == 1)
        // records above a leaf's half take whole overflow pages alone
        #expect(VectorBlock.slots(recordBytes: 16 + 768 * 4) > 1)
        for recordBytes in stride(from: 16, through: 70_000, by: 97) {
            let slots = VectorBlock.slots(recordBytes: recordBytes)
            #expect((1...VectorBlock.maximumSlots).contains(slots))
            if slots > 1 { #expect(VectorBlock.blockBytes(slots: slots, recordBytes: recordBytes) <= VectorBlock.plannedBytes) }
        }
    }

    @Test(arguments: [2, 7, 21, 64])
    func everyChangeMatchesAReferenceModel(slots: Int) throws {
        var random = SeededGenerator(seed: UInt64(slots))
        let first = UInt32(slots * 5)
        var model: [Int: [UInt8]] = [:]
        var block: [UInt8]?
        for _ in 0..<400 {
            let slot = Int(random.next() % UInt64(slots))
            // a quarter of the changes empty a slot; the rest write records of 1 to 1,600 bytes
            let record: [UInt8]? = random.next() % 4 == 0 ? nil
                : (0...Int(random.next() % 1_600)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            block = block.withUnsafeBufferBytes { old in
                record.withUnsafeBufferBytes { VectorBlock.replacing(slot: slot, with: $0, in: old, slots: slots, firstNode: first) }
            }
            model[slot] = record
            #expect((block == nil) == model.isEmpty)
            guard let block else { continue }
            try block.withUnsafeBytes { bytes in
                #expect(VectorBlock.isWellFormed(bytes, slots: slots, firstNode: first))
                #expect(!VectorBlock.isWellFormed(bytes, slots: slots, firstNode: first + 1))
                for index in 0..<slots {
                    let found = try VectorBlock.record(in: bytes, slot: index, slots: slots).map(Array.init)
                    #expect(found == model[index], "slot \(index)")
                }
                var seen: [UInt32] = []
                VectorBlock.forEachRecord(in: bytes, slots: slots, firstNode: first) { node, _ in seen.append(node); return true }
                #expect(seen == model.keys.sorted().map { first + UInt32($0) })
            }
        }
    }

    @Test func truncatedOrReorderedBlocksAreMalformed() throws {
        let slots = 5
        var block: [UInt8]?
        for slot in [0, 2, 4] {
            let record = [UInt8](repeating: UInt8(slot + 1), count: 40)
            block = block.withUnsafeBufferBytes { old in
                record.withUnsafeBytes { VectorBlock.replacing(slot: slot, with: $0, in: old, slots: slots, firstNode: 10) }
            }
        }
        let whole = try #require(block)
        for length in 0..<whole.count {
            Array(whole.prefix(length)).withUnsafeBytes { #expect(!VectorBlock.isWellFormed($0, slots: slots, firstNode: 10)) }
        }
        // an offset that goes backwards, a wrong slot count, an unknown layout
        for (offset, value) in [(VectorBlock.headerSize + 4 * 2, UInt8(0)), (2, UInt8(6)), (0, UInt8(2))] {
            var damaged = whole
            damaged[offset] = value
            damaged.withUnsafeBytes { #expect(!VectorBlock.isWellFormed($0, slots: slots, firstNode: 10)) }
        }
        // an offset past the end is refused by the lookup too, not read beyond the block
        var pastEnd = whole
        pastEnd[VectorBlock.headerSize + 4 * 1 + 1] = 0xff
        try pastEnd.withUnsafeBytes { bytes in
            #expect(throws: VectorBlock.Malformed.self) { try VectorBlock.record(in: bytes, slot: 0, slots: slots) }
            #expect(throws: VectorBlock.Malformed.self) { try VectorBlock.record(in: bytes, slot: 9, slots: slots) }
        }
    }
}

private extension Optional where Wrapped == [UInt8] {
    /// Passes the array's bytes, or nil, to `body`.
    func withUnsafeBufferBytes<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        switch self {
        case .some(let bytes): try bytes.withUnsafeBytes { try body($0) }
        case .none: try body(nil)
        }
    }
}
