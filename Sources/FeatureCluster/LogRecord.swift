import Foundation

/// One entry of a shard's log: points to upsert or ids to delete, in a compact binary form
/// (little-endian; floats as their bits, so every replica stores exactly the vector sent).
public enum LogRecord: Sendable, Equatable {
    /// Points written in this order (an id given twice: the later wins).
    case upsert([Point])
    /// Ids removed (absent ones are skipped).
    case delete([UInt64])

    /// A point of an upsert.
    public struct Point: Sendable, Equatable {
        /// The point's id.
        public var id: UInt64
        /// Its vector.
        public var vector: [Float]
        /// Its label, if any.
        public var label: String?

        /// A point.
        public init(id: UInt64, vector: [Float], label: String?) {
            self.id = id
            self.vector = vector
            self.label = label
        }
    }

    /// Why bytes are not a log record.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public let description: String
    }

    private static let formatVersion: UInt8 = 1
    private static let upsertTag: UInt8 = 1, deleteTag: UInt8 = 2

    /// The record's bytes.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [Self.formatVersion]
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        switch self {
        case .upsert(let points):
            bytes.append(Self.upsertTag)
            append(UInt32(points.count))
            for point in points {
                append(point.id)
                append(UInt32(point.vector.count))
                for value in point.vector { append(value.bitPattern) }
                let label = Array((point.label ?? "").utf8)
                append(point.label == nil ? UInt32.max : UInt32(label.count))
                bytes.append(contentsOf: label)
            }
        case .delete(let ids):
            bytes.append(Self.deleteTag)
            append(UInt32(ids.count))
            for id in ids { append(id) }
        }
        return bytes
    }

    /// The point or id count a record's header gives, without decoding it (0 for bytes too short
    /// to hold a header): what sizes a batch of records.
    public static func itemCount(in bytes: [UInt8]) -> Int {
        guard bytes.count >= 6 else { return 0 }
        return Int(bytes[2]) | Int(bytes[3]) << 8 | Int(bytes[4]) << 16 | Int(bytes[5]) << 24
    }

    /// Reads a record; throws `DecodingError` on anything but a whole, well-formed record.
    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = Reader(bytes: bytes)
        guard try reader.byte() == Self.formatVersion else { throw DecodingError(description: "unknown log record version") }
        let tag = try reader.byte()
        let count = Int(try reader.integer(UInt32.self))
        switch tag {
        case Self.upsertTag:
            // each point takes at least 16 bytes: a count beyond that is a damaged record, not an allocation
            guard count <= reader.remaining / 16 else { throw DecodingError(description: "point count \(count) exceeds the record") }
            var points: [Point] = []
            points.reserveCapacity(count)
            for _ in 0..<count {
                let id = try reader.integer(UInt64.self)
                let dimension = Int(try reader.integer(UInt32.self))
                guard dimension <= reader.remaining / 4 else { throw DecodingError(description: "dimension \(dimension) exceeds the record") }
                var vector = [Float](repeating: 0, count: dimension)
                for index in 0..<dimension { vector[index] = Float(bitPattern: try reader.integer(UInt32.self)) }
                let labelLength = try reader.integer(UInt32.self)
                var label: String?
                if labelLength != UInt32.max {
                    let labelBytes = try reader.bytes(Int(labelLength))
                    guard let text = String(validating: labelBytes, as: UTF8.self) else { throw DecodingError(description: "a label is not UTF-8") }
                    label = text
                }
                points.append(Point(id: id, vector: vector, label: label))
            }
            self = .upsert(points)
        case Self.deleteTag:
            guard count <= reader.remaining / 8 else { throw DecodingError(description: "id count \(count) exceeds the record") }
            self = .delete(try (0..<count).map { _ throws(DecodingError) in try reader.integer(UInt64.self) })
        default:
            throw DecodingError(description: "unknown log record kind \(tag)")
        }
        guard reader.remaining == 0 else { throw DecodingError(description: "\(reader.remaining) bytes after the record") }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var remaining: Int { bytes.count - offset }

        mutating func byte() throws(DecodingError) -> UInt8 {
            let slice = try bytes(1)
            return slice[slice.startIndex]
        }

        mutating func bytes(_ count: Int) throws(DecodingError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= remaining else { throw DecodingError(description: "the record ends early") }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(DecodingError) -> T {
            let slice = try bytes(MemoryLayout<T>.size)
            return slice.reversed().reduce(T.zero) { ($0 << 8) | T($1) }
        }
    }
}
