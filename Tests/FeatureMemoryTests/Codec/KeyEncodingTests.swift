import Foundation
import Testing
@testable import FeatureMemory

/// Integer keys: native byte order, read back only at their exact width. (That LMDB walks them
/// in numeric order is checked through the store, in IterationTests.)
struct KeyEncodingTests {
    @Test(arguments: [UInt64(0), 1, 255, 256, 0x1234_5678_9ABC_DEF0, .max])
    func keysRoundTrip(value: UInt64) {
        #expect(value.withKeyBytes { Array($0) } == withUnsafeBytes(of: value) { Array($0) })
        #expect(value.withKeyBytes { $0.count } == 8)
        #expect(value.withKeyBytes { UInt64(keyBytes: $0) } == value)
        let low = UInt32(truncatingIfNeeded: value)
        #expect(low.withKeyBytes { $0.count } == 4)
        #expect(low.withKeyBytes { UInt32(keyBytes: $0) } == low)
    }

    @Test func keysReadFromUnalignedBytes() {
        let bytes: [UInt8] = [0xEE] + withUnsafeBytes(of: UInt64(0x0102_0304_0506_0708)) { Array($0) }
        let value = bytes.withUnsafeBytes { UInt64(keyBytes: UnsafeRawBufferPointer(rebasing: $0[1...])) }
        #expect(value == 0x0102_0304_0506_0708)
    }

    @Test func keyOfAnotherWidthIsNil() {
        let seven: [UInt8] = [1, 2, 3, 4, 5, 6, 7]
        #expect(seven.withUnsafeBytes { UInt64(keyBytes: $0) } == nil)
        #expect(seven.withUnsafeBytes { UInt32(keyBytes: $0) } == nil)
        #expect([UInt8]().withUnsafeBytes { UInt32(keyBytes: $0) } == nil)
        #expect(UInt32(7).withKeyBytes { UInt64(keyBytes: $0) } == nil)
    }

    @Test func littleEndianFieldsRoundTripAtUnalignedOffsets() {
        var buffer = [UInt8](repeating: 0, count: 32)
        buffer.withUnsafeMutableBytes { out in
            out.storeLittleEndian(UInt32(0xDEAD_BEEF), at: 1)
            out.storeLittleEndian(UInt64(0x0102_0304_0506_0708), at: 7)
            out.storeLittleEndian(UInt16(0xABCD), at: 17)
        }
        #expect(Array(buffer[1..<5]) == [0xEF, 0xBE, 0xAD, 0xDE])
        buffer.withUnsafeBytes { bytes in
            #expect(bytes.littleEndian(at: 1, as: UInt32.self) == 0xDEAD_BEEF)
            #expect(bytes.littleEndian(at: 7, as: UInt64.self) == 0x0102_0304_0506_0708)
            #expect(bytes.littleEndian(at: 17, as: UInt16.self) == 0xABCD)
        }
    }
}
