import Foundation
import Testing
@testable import FeatureMemory

/// Metadata records: round trip of every field and detection of damage.
struct MetadataRecordTests {
    typealias Fields = MetadataRecord.Fields

    static let samples: [Fields] = [
        Fields(id: 0, label: nil, userData: nil, support: 1, confidence: 1, created: 0, updated: 0),
        Fields(id: 42, label: "dog", userData: nil, support: 3, confidence: 0.25, created: 1.5e9, updated: 1.6e9),
        Fields(id: .max, label: nil, userData: Data([0, 1, 2, 255]), support: .max, confidence: 0,
               created: 1_700_000_000.123, updated: 1_700_000_001.5),
        Fields(id: 1 << 40, label: "猫🐈 café — ünïcødé", userData: Data("{\"k\": 1}".utf8), support: 0,
               confidence: 0.5, created: -1, updated: .greatestFiniteMagnitude),
        Fields(id: 7, label: String(repeating: "x", count: 255), userData: Data(repeating: 0xAB, count: 10_000),
               support: 9, confidence: 1, created: 1, updated: 2),
    ]

    func decode(_ record: [UInt8], node: UInt32 = 4) throws -> Fields {
        try record.withUnsafeBytes { try MetadataRecord.decode($0, node: node) }
    }

    func sealed(_ record: [UInt8]) -> [UInt8] {
        var record = record
        record.replaceSubrange(20..<24, with: [0, 0, 0, 0])
        let crc = record.withUnsafeBytes { Checksum.crc32c($0) }
        withUnsafeBytes(of: crc.littleEndian) { record.replaceSubrange(20..<24, with: $0) }
        return record
    }

    @Test(arguments: samples)
    func everyFieldRoundTrips(fields: Fields) throws {
        let record = MetadataRecord.encode(fields)
        let labelBytes = fields.label?.utf8.count ?? 0
        #expect(record.count == MetadataRecord.headerSize + labelBytes + (fields.userData?.count ?? 0))
        #expect(record[0] == MetadataRecord.layoutVersion)
        #expect(try decode(record) == fields)
        #expect(try record.withUnsafeBytes { try MetadataRecord.id(of: $0, node: 0) } == fields.id)
    }

    @Test func emptyLabelAndEmptyUserDataReadBackAsNil() throws {
        let fields = Fields(id: 1, label: "", userData: Data(), support: 1, confidence: 1, created: 0, updated: 0)
        let decoded = try decode(MetadataRecord.encode(fields))
        #expect(decoded.label == nil)
        #expect(decoded.userData == nil)
    }

    @Test(arguments: samples.prefix(4))
    func everyFlippedByteIsDetected(fields: Fields) throws {
        let record = MetadataRecord.encode(fields)
        var undetected: [String] = []
        for index in record.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = record
                damaged[index] ^= mask
                do {
                    let decoded = try decode(damaged, node: 12)
                    undetected.append("byte \(index) ^ \(mask): decoded \(decoded)")
                } catch {
                    if error as? StoreError != .corruptRecord(node: 12) { undetected.append("byte \(index) ^ \(mask): \(error)") }
                }
            }
        }
        #expect(undetected.isEmpty, "\(undetected.prefix(10))")
    }

    @Test(arguments: samples.prefix(4))
    func everyTruncationIsDetected(fields: Fields) throws {
        let record = MetadataRecord.encode(fields)
        for length in 0..<record.count {
            #expect(throws: StoreError.corruptRecord(node: 1)) { try decode(Array(record.prefix(length)), node: 1) }
        }
        #expect(throws: StoreError.corruptRecord(node: 1)) { try decode(record + [0x20], node: 1) }
    }

    @Test func malformedRecordsWithAValidChecksumAreRefused() throws {
        let record = MetadataRecord.encode(
            Fields(id: 5, label: "abc", userData: nil, support: 1, confidence: 1, created: 0, updated: 0))
        var newerLayout = record; newerLayout[0] = 2
        var labelPastTheEnd = record; labelPastTheEnd[2] = 200
        var invalidUTF8 = record; invalidUTF8[MetadataRecord.headerSize + 1] = 0xFF
        for damaged in [newerLayout, labelPastTheEnd, invalidUTF8].map(sealed) {
            #expect(throws: StoreError.corruptRecord(node: 6)) { try decode(damaged, node: 6) }
        }
        #expect(try decode(sealed(record)).label == "abc")
    }

    @Test func idOfChecksShapeButNotChecksum() throws {
        let record = MetadataRecord.encode(
            Fields(id: 123_456, label: nil, userData: nil, support: 1, confidence: 1, created: 0, updated: 0))
        var damagedTimes = record; damagedTimes[30] ^= 0xFF
        #expect(try damagedTimes.withUnsafeBytes { try MetadataRecord.id(of: $0, node: 2) } == 123_456)
        var newerLayout = record; newerLayout[0] = 9
        #expect(throws: StoreError.corruptRecord(node: 2)) {
            try newerLayout.withUnsafeBytes { try MetadataRecord.id(of: $0, node: 2) }
        }
        #expect(throws: StoreError.corruptRecord(node: 2)) {
            try Array(record.prefix(39)).withUnsafeBytes { try MetadataRecord.id(of: $0, node: 2) }
        }
    }
}
