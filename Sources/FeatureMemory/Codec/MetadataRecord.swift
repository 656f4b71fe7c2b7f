import Foundation

/// The on-disk layout of a node's metadata (table `patterns`, layout 1).
///
/// ```
/// offset  size  field
///      0     1  layout version (1)
///      1     1  flags, zero
///      2     2  label length in bytes (0: no label)
///      4     4  support count
///      8     8  external id
///     16     4  confidence (float32)
///     20     4  CRC-32C of the whole record with this field zeroed
///     24     8  created, seconds since 1970 (float64)
///     32     8  updated, seconds since 1970 (float64)
///     40     …  label (UTF-8), then user data to the end
/// ```
enum MetadataRecord {
    /// The layout this code writes and reads.
    static let layoutVersion: UInt8 = 1
    /// Bytes before the label.
    static let headerSize = 40

    /// The decoded fields of one record.
    struct Fields: Equatable {
        var id: UInt64
        var label: String?
        var userData: Data?
        var support: UInt32
        var confidence: Float
        var created: Double
        var updated: Double
    }

    /// The record bytes for `fields`.
    static func encode(_ fields: Fields) -> [UInt8] {
        let label = Array((fields.label ?? "").utf8)
        let user = fields.userData.map { [UInt8]($0) } ?? []
        var bytes = [UInt8](repeating: 0, count: headerSize + label.count + user.count)
        bytes.withUnsafeMutableBytes { out in
            out[0] = layoutVersion
            out.storeLittleEndian(UInt16(label.count), at: 2)
            out.storeLittleEndian(fields.support, at: 4)
            out.storeLittleEndian(fields.id, at: 8)
            out.storeLittleEndian(fields.confidence.bitPattern, at: 16)
            out.storeLittleEndian(fields.created.bitPattern, at: 24)
            out.storeLittleEndian(fields.updated.bitPattern, at: 32)
            out.baseAddress!.advanced(by: headerSize).copyMemory(from: label, byteCount: label.count)
            out.baseAddress!.advanced(by: headerSize + label.count).copyMemory(from: user, byteCount: user.count)
            out.storeLittleEndian(Checksum.crc32c(UnsafeRawBufferPointer(out)), at: 20)
        }
        return bytes
    }

    /// Only the external id, for mapping search results; checks the record's shape, not its checksum.
    static func id(of record: UnsafeRawBufferPointer, node: UInt32) throws(StoreError) -> UInt64 {
        guard record.count >= headerSize, record[0] == layoutVersion else { throw .corruptRecord(node: node) }
        return record.littleEndian(at: 8)
    }

    /// Every field, checked against the checksum.
    static func decode(_ record: UnsafeRawBufferPointer, node: UInt32) throws(StoreError) -> Fields {
        guard record.count >= headerSize, record[0] == layoutVersion else { throw .corruptRecord(node: node) }
        let stored: UInt32 = record.littleEndian(at: 20)
        let zero: UInt32 = 0
        var crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: record[0..<20]))
        crc = withUnsafeBytes(of: zero) { Checksum.crc32c($0, seed: crc) }
        crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: record[24...]), seed: crc)
        guard crc == stored else { throw .corruptRecord(node: node) }
        let labelLength = Int(record.littleEndian(at: 2, as: UInt16.self))
        guard headerSize + labelLength <= record.count else { throw .corruptRecord(node: node) }
        let labelBytes = UnsafeRawBufferPointer(rebasing: record[headerSize..<(headerSize + labelLength)])
        let userBytes = UnsafeRawBufferPointer(rebasing: record[(headerSize + labelLength)...])
        guard let label = String(validating: labelBytes, as: UTF8.self) else { throw .corruptRecord(node: node) }
        return Fields(
            id: record.littleEndian(at: 8),
            label: labelLength == 0 ? nil : label,
            userData: userBytes.isEmpty ? nil : Data(userBytes),
            support: record.littleEndian(at: 4),
            confidence: Float(bitPattern: record.littleEndian(at: 16)),
            created: Double(bitPattern: record.littleEndian(at: 24)),
            updated: Double(bitPattern: record.littleEndian(at: 32)))
    }
}
