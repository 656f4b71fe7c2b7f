import Foundation
import Testing
@testable import FeatureMemory

/// CRC-32C: known answers, chaining, and agreement with a bitwise reference at every length
/// and alignment (so whichever of the SSE4.2 and table versions runs here is checked).
struct ChecksumTests {
    /// CRC-32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78).
    static func reference(_ bytes: some Sequence<UInt8>, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    func crc(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { Checksum.crc32c($0, seed: seed) }
    }

    @Test func knownAnswers() {
        #expect(crc(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc([]) == 0)
        // RFC 3720 (iSCSI), appendix B.4
        #expect(crc([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(crc([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(crc((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(crc((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(Self.reference(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func emptyInputReturnsTheSeed() {
        #expect(crc([], seed: 0xDEAD_BEEF) == 0xDEAD_BEEF)
        #expect(Checksum.crc32c(UnsafeRawBufferPointer(start: nil, count: 0), seed: 7) == 7)
    }

    @Test func agreesWithTheBitwiseReferenceAtEveryLengthAndAlignment() {
        var random = SeededGenerator(seed: 0xC8C)
        let buffer = (0..<400).map { _ in UInt8.random(in: 0...255, using: &random) }
        var mismatches: [String] = []
        buffer.withUnsafeBytes { all in
            for offset in 0..<8 {
                for length in 0...(300 - offset) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    let seed: UInt32 = length.isMultiple(of: 3) ? 0 : UInt32(truncatingIfNeeded: length &* 2_654_435_761)
                    let got = Checksum.crc32c(slice, seed: seed)
                    let expected = Self.reference(slice, seed: seed)
                    if got != expected { mismatches.append("offset \(offset) length \(length)") }
                }
            }
        }
        #expect(mismatches.isEmpty, "hardware: \(Checksum.usesHardware); \(mismatches.prefix(5))")
    }

    @Test func chainingEqualsOnePass() {
        var random = SeededGenerator(seed: 4)
        let bytes = (0..<100).map { _ in UInt8.random(in: 0...255, using: &random) }
        let whole = crc(bytes)
        for split in 0...bytes.count {
            #expect(crc(Array(bytes[split...]), seed: crc(Array(bytes[..<split]))) == whole)
        }
    }

    @Test func detectsEverySingleBitFlip() {
        let bytes = Array("feature vectors on LMDB, checked by CRC-32C".utf8)
        let original = crc(bytes)
        for index in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                #expect(crc(flipped) != original)
            }
        }
    }
}
