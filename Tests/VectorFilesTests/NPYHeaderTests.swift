import Foundation
import Testing
@testable import VectorFiles

/// The one `.npy` parser: what it reads, and the typed error for what it does not.
struct NPYHeaderTests {
    /// `.npy` bytes of format `version` with the header dictionary `dictionary` and `payload`.
    func npy(_ dictionary: String, payload: [UInt8] = [], version: UInt8 = 1) -> Data {
        let prefix = version == 1 ? 10 : 12
        var header = dictionary
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        let lengthBytes: [UInt8] = (0..<(version == 1 ? 2 : 4)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        return Data(NPYHeader.magic + [version, 0] + lengthBytes + Array(header.utf8) + payload)
    }

    @Test func float64AndFloat16ArraysAreReadAsFloat() throws {
        var doubles: [UInt8] = []
        for x in [1.5, -2.0, 1e300] { withUnsafeBytes(of: x.bitPattern.littleEndian) { doubles += $0 } }
        let f8 = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", payload: doubles, version: 2)
        let header = try NPYHeader.parse(f8)
        #expect(header.shape == [3] && header.elementCount == 3)
        #expect(header.values(in: f8) == [1.5, -2, .infinity])

        // a key's name inside a string value does not mislead the tokenizer
        let f2 = npy("{\"descr\": \"<f2\", \"shape\": (1, 2), 'fortran_order': False, 'note': 'shape'}", payload: [0x00, 0x3C, 0x00, 0xC0])
        let half = try NPYHeader.parse(f2)
        #expect(half.shape == [1, 2])
        #expect(half.values(in: f2) == [1, -2])
    }

    @Test func badMagicTruncationAndOtherArraysAreTypedErrors() {
        #expect(throws: NPYError.notNPY) { try NPYHeader.parse(Data("RIFF....WAVE".utf8)) }
        #expect(throws: NPYError.truncatedHeader(expectedBytes: 10, availableBytes: 4)) { try NPYHeader.parse(Data(NPYHeader.magic.prefix(4))) }
        #expect(throws: NPYError.unsupported("format version 4.0")) { try NPYHeader.parse(Data(NPYHeader.magic + [4, 0, 0, 0])) }
        #expect(throws: NPYError.unsupported("element type >f4; little-endian float16, float32 or float64 only")) {
            try NPYHeader.parse(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", payload: [0, 0, 0, 0]))
        }
        #expect(throws: NPYError.malformedHeader("no 'fortran_order' flag")) {
            try NPYHeader.parse(npy("{'descr': '<f4', 'shape': (1,), }", payload: [0, 0, 0, 0]))
        }
        #expect(throws: NPYError.truncatedData(shape: [2, 3], descr: "<f4", neededBytes: 24, availableBytes: 4)) {
            try NPYHeader.parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", payload: [0, 0, 0, 0]))
        }
    }

    @Test func halfPrecisionBitsDecodeExactly() {
        #expect(Float(halfBits: 0x3C00) == 1)
        #expect(Float(halfBits: 0xC000) == -2)
        #expect(Float(halfBits: 0x7BFF) == 65_504)
        #expect(Float(halfBits: 0x0001) == 0x1p-24)
        #expect(Float(halfBits: 0x7C00) == .infinity)
        #expect(Float(halfBits: 0x7E00).isNaN)
    }
}
