import Foundation
import Testing
@testable import FeatureMemory

/// Vector records: raw and byte-shuffled LZ4 round trips, and detection of every damage.
struct VectorCodecTests {
    /// The record bytes `codec` makes for `vector`, copied out of its scratch buffer.
    func encode(_ vector: [Float], norm: Float? = nil, with codec: VectorCodec) -> [UInt8] {
        vector.withUnsafeBufferPointer { [UInt8](codec.encode($0, norm: norm ?? vector.euclideanNorm)) }
    }

    func decode(_ record: [UInt8], node: UInt32 = 42, with codec: VectorCodec) throws -> [Float] {
        try record.withUnsafeBytes { try codec.decodeArray($0, node: node) }
    }

    func codecOf(_ record: [UInt8]) -> VectorRecord.Codec? {
        record.withUnsafeBytes { VectorCodec.codec(of: $0) }
    }

    /// `record` with its checksum recomputed, to test the layout checks behind a valid checksum.
    func sealed(_ record: [UInt8]) -> [UInt8] {
        var record = record
        let crc = record.withUnsafeBytes { bytes in
            Checksum.crc32c(UnsafeRawBufferPointer(rebasing: bytes[16...]),
                            seed: Checksum.crc32c(UnsafeRawBufferPointer(rebasing: bytes[0..<12])))
        }
        withUnsafeBytes(of: crc.littleEndian) { record.replaceSubrange(12..<16, with: $0) }
        return record
    }

    @Test(arguments: [1, 2, 7, 8, 64, 384, 1000])
    func incompressibleVectorsRoundTripRaw(dimension: Int) throws {
        var random = SeededGenerator(seed: UInt64(dimension))
        let codec = VectorCodec(dimension: dimension)
        for _ in 0..<5 {
            let vector = random.incompressibleVector(dimension)
            let record = encode(vector, with: codec)
            #expect(codecOf(record) == .raw)
            #expect(record.count == VectorRecord.headerSize + 4 * dimension)
            // a raw payload is the floats themselves, read in place
            #expect(Array(record[VectorRecord.headerSize...]) == bytes(of: vector))
            #expect(try decode(record, with: codec).bitPatterns == vector.bitPatterns)
        }
    }

    @Test(arguments: [1, 2, 7, 8, 64, 384, 1000])
    func gaussianVectorsRoundTrip(dimension: Int) throws {
        var random = SeededGenerator(seed: UInt64(dimension) + 100)
        let codec = VectorCodec(dimension: dimension)
        for _ in 0..<5 {
            let vector = random.gaussianVector(dimension)
            let record = encode(vector, with: codec)
            // compressed only when that is smaller
            #expect(record.count <= VectorRecord.headerSize + 4 * dimension)
            if codecOf(record) == .raw { #expect(record.count == VectorRecord.headerSize + 4 * dimension) }
            #expect(try decode(record, with: codec).bitPatterns == vector.bitPatterns)
        }
    }

    @Test(arguments: [16, 64, 384, 4096])
    func reducedPrecisionVectorsCompressAndRoundTrip(dimension: Int) throws {
        var random = SeededGenerator(seed: 7 &* UInt64(dimension))
        let codec = VectorCodec(dimension: dimension)
        let vector = random.compressibleVector(dimension)
        let record = encode(vector, with: codec)
        #expect(codecOf(record) == .shuffledLZ4)
        #expect(record.count < VectorRecord.headerSize + 4 * dimension * 3 / 4)
        #expect(try decode(record, with: codec).bitPatterns == vector.bitPatterns)
    }

    @Test func mostlyZeroVectorsCompressAndRoundTrip() throws {
        let dimension = 256
        var random = SeededGenerator(seed: 3)
        var vector = [Float](repeating: 0, count: dimension)
        for i in stride(from: 0, to: dimension, by: 10) { vector[i] = random.gaussian() }
        vector[5] = -0.0
        let codec = VectorCodec(dimension: dimension)
        let record = encode(vector, with: codec)
        #expect(codecOf(record) == .shuffledLZ4)
        #expect(try decode(record, with: codec).bitPatterns == vector.bitPatterns)

        let zeros = [Float](repeating: 0, count: dimension)
        let zeroRecord = encode(zeros, with: codec)
        #expect(codecOf(zeroRecord) == .shuffledLZ4)
        #expect(try decode(zeroRecord, with: codec).bitPatterns == zeros.bitPatterns)
    }

    @Test func extremeValuesRoundTripBitExactly() throws {
        let vector: [Float] = [
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNormalMagnitude,
            -0.0, 0, 1, -1, .ulpOfOne, 3.14159274,
        ]
        let codec = VectorCodec(dimension: vector.count)
        #expect(try decode(encode(vector, with: codec), with: codec).bitPatterns == vector.bitPatterns)
    }

    @Test(arguments: [Float(0), 1, 12.5, .greatestFiniteMagnitude])
    func normIsKept(norm: Float) throws {
        var random = SeededGenerator(seed: 11)
        for vector in [random.gaussianVector(32), random.compressibleVector(32)] {
            let codec = VectorCodec(dimension: 32)
            let record = encode(vector, norm: norm, with: codec)
            let decoded = try record.withUnsafeBytes { try codec.decode($0, node: 1).norm }
            #expect(decoded.bitPattern == norm.bitPattern)
        }
    }

    @Test func recordReadFromAnUnalignedAddressDecodes() throws {
        var random = SeededGenerator(seed: 5)
        let codec = VectorCodec(dimension: 33)
        for vector in [random.incompressibleVector(33), random.compressibleVector(33)] {
            let record = encode(vector, with: codec)
            for offset in 1...3 {
                let shifted = [UInt8](repeating: 0xEE, count: offset) + record
                let values = try shifted.withUnsafeBytes { bytes in
                    try codec.decodeArray(UnsafeRawBufferPointer(rebasing: bytes[offset...]), node: 0)
                }
                #expect(values.bitPatterns == vector.bitPatterns)
            }
        }
    }

    @Test func codecOfAnEmptyOrOneByteRecordIsNil() {
        #expect(codecOf([]) == nil)
        #expect(codecOf([1]) == nil)
        #expect(codecOf([1, 9]) == nil)
    }

    enum Kind: String, CaseIterable, Sendable { case raw, compressed }

    /// Each single damaged byte, whatever the flip, is refused as a corrupt record: never
    /// a wrong vector, never a crash.
    @Test(arguments: Kind.allCases, [1, 9, 64, 384])
    func everyFlippedByteIsDetected(kind: Kind, dimension: Int) throws {
        var random = SeededGenerator(seed: 99)
        let vector = kind == .raw ? random.incompressibleVector(dimension) : random.compressibleVector(dimension)
        let codec = VectorCodec(dimension: dimension)
        let record = encode(vector, with: codec)
        if dimension > 8 || kind == .raw { #expect(codecOf(record) == (kind == .raw ? .raw : .shuffledLZ4)) }
        var undetected: [String] = []
        for index in record.indices {
            for mask: UInt8 in [0x01, 0x10, 0x80, 0xFF] {
                var damaged = record
                damaged[index] ^= mask
                do {
                    let values = try decode(damaged, node: 77, with: codec)
                    undetected.append("byte \(index) ^ \(mask): decoded \(values == vector ? "same" : "wrong") vector")
                } catch {
                    if error as? StoreError != .corruptRecord(node: 77) { undetected.append("byte \(index) ^ \(mask): \(error)") }
                }
            }
        }
        #expect(undetected.isEmpty, "\(undetected.prefix(10))")
    }

    @Test(arguments: Kind.allCases)
    func everyTruncationOrExtensionIsDetected(kind: Kind) throws {
        var random = SeededGenerator(seed: 17)
        let dimension = 96
        let vector = kind == .raw ? random.incompressibleVector(dimension) : random.compressibleVector(dimension)
        let codec = VectorCodec(dimension: dimension)
        let record = encode(vector, with: codec)
        for length in 0..<record.count {
            #expect(throws: StoreError.corruptRecord(node: 3)) {
                try decode(Array(record.prefix(length)), node: 3, with: codec)
            }
        }
        #expect(throws: StoreError.corruptRecord(node: 3)) { try decode(record + [0], node: 3, with: codec) }
    }

    @Test func recordOfAnotherDimensionIsRefused() throws {
        var random = SeededGenerator(seed: 1)
        let record = encode(random.gaussianVector(16), with: VectorCodec(dimension: 16))
        #expect(throws: StoreError.corruptRecord(node: 8)) { try decode(record, node: 8, with: VectorCodec(dimension: 15)) }
        #expect(throws: StoreError.corruptRecord(node: 8)) { try decode(record, node: 8, with: VectorCodec(dimension: 17)) }
    }

    /// Layout checks hold even when the checksum matches (a record written by a bug or another
    /// format, not by random damage).
    @Test func malformedRecordsWithAValidChecksumAreRefused() throws {
        var random = SeededGenerator(seed: 2)
        let dimension = 64
        let codec = VectorCodec(dimension: dimension)
        let raw = encode(random.incompressibleVector(dimension), with: codec)
        #expect(codecOf(raw) == .raw)
        let compressed = encode(random.compressibleVector(dimension), with: codec)
        #expect(codecOf(compressed) == .shuffledLZ4)

        var newerLayout = raw; newerLayout[0] = 2
        var unknownCodec = raw; unknownCodec[1] = 7
        var rawMarkedCompressed = raw; rawMarkedCompressed[1] = VectorRecord.Codec.shuffledLZ4.rawValue
        var compressedMarkedRaw = compressed; compressedMarkedRaw[1] = VectorRecord.Codec.raw.rawValue
        let shortRaw = Array(raw.dropLast(4))
        let longRaw = raw + [0, 0, 0, 0]
        let truncatedLZ4 = Array(compressed.dropLast(3))
        let garbageLZ4 = Array(compressed.prefix(16)) + [UInt8](repeating: 0xF0, count: 40)
        let emptyLZ4 = Array(compressed.prefix(16))
        var cases = [newerLayout, unknownCodec, rawMarkedCompressed, compressedMarkedRaw, shortRaw, longRaw,
                     truncatedLZ4, garbageLZ4, emptyLZ4]
        cases = cases.map(sealed)
        for (index, record) in cases.enumerated() {
            #expect(throws: StoreError.corruptRecord(node: 5), "case \(index)") { try decode(record, node: 5, with: codec) }
        }
        // the sealing itself is right: an untouched record sealed again still decodes
        #expect(try decode(sealed(raw), with: codec).count == dimension)
    }

    @Test func oneCodecEncodesAndDecodesManyVectorsInTurn() throws {
        var random = SeededGenerator(seed: 8)
        let codec = VectorCodec(dimension: 48)
        for index in 0..<50 {
            let vector = index.isMultiple(of: 2) ? random.gaussianVector(48) : random.compressibleVector(48)
            #expect(try decode(encode(vector, with: codec), with: codec).bitPatterns == vector.bitPatterns)
        }
    }
}
