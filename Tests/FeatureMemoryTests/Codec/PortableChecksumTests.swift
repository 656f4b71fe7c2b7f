import CFeatureMemoryShims
import Foundation
import Testing
@testable import FeatureMemory

/// CRC-32C as records use it (`fm_crc32c`: SSE4.2 when the processor has it) against the table
/// code (`fm_crc32c_portable`), called directly so both are tested on every machine, and both
/// against the bitwise definition (`ChecksumTests.reference`). A checksum has no tolerance: equal
/// bit for bit. The lengths reach past 3 × 256 bytes, where the hardware path switches to three
/// interleaved streams joined by a shift table (`ChecksumTests` stops at 300 bytes).
struct PortableChecksumTests {
    /// Both paths' checksum of `bytes[offset...]` continuing from `seed`.
    func both(_ bytes: [UInt8], from offset: Int = 0, seed: UInt32 = 0) -> (accelerated: UInt32, portable: UInt32) {
        bytes.withUnsafeBytes { all in
            let slice = UnsafeRawBufferPointer(rebasing: all[offset...])
            return (fm_crc32c(seed, slice.baseAddress, slice.count), fm_crc32c_portable(seed, slice.baseAddress, slice.count))
        }
    }

    static var machine: String { "hardware: \(fm_crc32c_uses_hardware() != 0)" }

    /// CRC-32C check value ("123456789") and RFC 3720 appendix B.4, through both paths.
    @Test func knownAnswersOnBothPaths() {
        let vectors: [([UInt8], UInt32)] = [
            (Array("123456789".utf8), 0xE306_9283),
            ([], 0),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            ((0..<32).map { UInt8($0) }, 0x46DD_794E),
            ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        ]
        for (bytes, expected) in vectors {
            let (accelerated, portable) = both(bytes)
            #expect(accelerated == expected, "\(Self.machine), \(bytes.count) bytes")
            #expect(portable == expected, "\(bytes.count) bytes")
        }
    }

    static let lengths = Array(0...40) + [63, 64, 65, 255, 256, 257, 511, 512, 513]
        + [767, 768, 769, 775, 776, 1023, 1024, 1535, 1536, 1537, 2303, 2304, 2305, 3071, 3072, 4096, 4103, 9000]

    @Test func bothPathsAgreeWithTheDefinitionAtEveryLengthAlignmentAndSeed() {
        var random = SeededGenerator(seed: 0xC3C)
        let buffer = (0..<9_016).map { _ in UInt8.random(in: 0...255, using: &random) }
        var mismatches: [String] = []
        for length in Self.lengths {
            for offset in 0..<8 {
                let seed: UInt32 = offset.isMultiple(of: 2) ? 0 : UInt32.random(in: 0...UInt32.max, using: &random)
                let bytes = Array(buffer[offset..<(offset + length)])
                let expected = ChecksumTests.reference(bytes, seed: seed)
                // from `buffer` itself, so the data starts `offset` bytes past the array's alignment
                let (accelerated, portable) = buffer.withUnsafeBytes { all in
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    return (fm_crc32c(seed, slice.baseAddress, length), fm_crc32c_portable(seed, slice.baseAddress, length))
                }
                if accelerated != expected || portable != expected {
                    mismatches.append("length \(length) offset \(offset): \(accelerated), portable \(portable), expected \(expected)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(Self.machine); \(mismatches.prefix(5))")
    }

    /// Patterns a table or a shift operator gets wrong where random bytes may not show it: all
    /// zeros and all ones (the register's own fixed points), one set bit anywhere in a long block.
    @Test func bothPathsAgreeOnStructuredInputs() {
        var mismatches: [String] = []
        for length in [768, 769, 2304, 2311, 4096] {
            for fill: UInt8 in [0x00, 0xFF] {
                let bytes = [UInt8](repeating: fill, count: length)
                let expected = ChecksumTests.reference(bytes)
                let (accelerated, portable) = both(bytes)
                if accelerated != expected || portable != expected { mismatches.append("\(length) × \(fill)") }
            }
            for position in stride(from: 0, to: length, by: 37) {
                var bytes = [UInt8](repeating: 0, count: length)
                bytes[position] = 1 << (position % 8)
                let expected = ChecksumTests.reference(bytes)
                let (accelerated, portable) = both(bytes)
                if accelerated != expected || portable != expected { mismatches.append("\(length), bit at byte \(position)") }
            }
        }
        #expect(mismatches.isEmpty, "\(Self.machine); \(mismatches.prefix(5))")
    }

    /// Continuing from a seed across the three-stream blocks gives the one-pass checksum.
    @Test func chainingAcrossTheInterleavedBlocksEqualsOnePass() {
        var random = SeededGenerator(seed: 17)
        let bytes = (0..<5_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let whole = ChecksumTests.reference(bytes)
        #expect(both(bytes).accelerated == whole)
        #expect(both(bytes).portable == whole)
        for split in [1, 7, 767, 768, 769, 2304, 2500, 4999] + (0..<20).map({ _ in Int.random(in: 0...5_000, using: &random) }) {
            let head = Array(bytes[..<split])
            let (headAccelerated, headPortable) = both(head)
            #expect(both(bytes, from: split, seed: headAccelerated).accelerated == whole, "split \(split)")
            #expect(both(bytes, from: split, seed: headPortable).portable == whole, "split \(split)")
        }
    }
}
