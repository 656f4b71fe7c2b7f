import Foundation

/// Reads the rows of a vector file in order. The file is memory-mapped, so files larger
/// than memory stream through the page cache.
public final class VectorFileReader {
    /// The file's path.
    public let path: String
    /// The file's format.
    public let format: VectorFileFormat
    /// Floats per row; for JSON lines, the first row's (nil for an empty file).
    public private(set) var dimension: Int?
    /// Rows in the file when the format says so up front (fvecs, npy); nil for JSON lines.
    public let rowCount: Int?

    private let data: Data
    private var offset: Int
    private var row = 0
    private let npy: NPYHeader?

    /// Opens `path` in `format` (or the format its extension names).
    public init(path: String, format: VectorFileFormat? = nil) throws(VectorFileError) {
        guard let format = format ?? VectorFileFormat(inferredFrom: path) else { throw .unknownFormat(path: path) }
        self.path = path
        self.format = format
        data = try InputFile.map(path)
        switch format {
        case .fvecs:
            offset = 0
            npy = nil
            if data.isEmpty {
                dimension = nil
                rowCount = 0
            } else {
                guard data.count >= 4 else { throw .malformed(path: path, row: 0, reason: "file shorter than a row header") }
                let d = Int(Int32(littleEndian: data.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
                guard d > 0 else { throw .malformed(path: path, row: 0, reason: "dimension \(d) is not positive") }
                let rowBytes = 4 + 4 * d  // d < 2^31: no overflow
                guard rowBytes <= data.count else {
                    throw .malformed(path: path, row: 0, reason: "first row says dimension \(d) (\(rowBytes) bytes); the file holds \(data.count) bytes (not an fvecs file, or truncated?)")
                }
                guard data.count % rowBytes == 0 else {
                    throw .malformed(path: path, row: data.count / rowBytes,
                                     reason: "file size \(data.count) is not a whole number of \(rowBytes)-byte rows (truncated?)")
                }
                dimension = d
                rowCount = data.count / rowBytes
            }
        case .npy:
            let header: NPYHeader
            do throws(NPYError) {
                header = try NPYHeader.parse(data)
            } catch let .unsupported(reason) {
                throw .unsupported(path: path, reason: reason)
            } catch {
                throw .malformed(path: path, row: nil, reason: error.description)
            }
            // NPYHeader.parse checked that the shape's data is in the file
            let rows: Int, columns: Int
            switch header.shape.count {
            case 1: (rows, columns) = (1, header.shape[0])
            case 2: (rows, columns) = (header.shape[0], header.shape[1])
            default: throw .unsupported(path: path, reason: "\(header.shape.count)-dimensional array; need rows × dimension")
            }
            guard columns > 0 || rows == 0 else { throw .malformed(path: path, row: nil, reason: "dimension 0") }
            offset = 0
            npy = header
            dimension = columns
            rowCount = rows
        case .jsonl:
            offset = 0
            npy = nil
            rowCount = nil
            dimension = nil
        }
    }

    /// The next row, or nil at the end. Rows of another dimension than the first are an error.
    public func next() throws(VectorFileError) -> VectorFileRow? {
        defer { row += 1 }
        switch format {
        case .fvecs: return try nextFvecs()
        case .npy: return try nextNPY()
        case .jsonl: return try nextJSONLine()
        }
    }

    /// Reads every remaining row.
    public func readAll() throws(VectorFileError) -> [VectorFileRow] {
        var rows: [VectorFileRow] = []
        if let rowCount { rows.reserveCapacity(rowCount) }
        while let next = try next() { rows.append(next) }
        return rows
    }

    private func nextFvecs() throws(VectorFileError) -> VectorFileRow? {
        guard offset < data.count, let dimension else { return nil }
        let vector = data.withUnsafeBytes { bytes -> [Float]? in
            let d = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
            guard d == dimension else { return nil }
            return (0..<d).map { i in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 + 4 * i, as: UInt32.self)))
            }
        }
        guard let vector else {
            throw .malformed(path: path, row: row, reason: "row dimension differs from the first row's \(dimension)")
        }
        offset += 4 + 4 * dimension
        return VectorFileRow(vector: vector)
    }

    private func nextNPY() throws(VectorFileError) -> VectorFileRow? {
        guard let rowCount, row < rowCount, let dimension, let npy else { return nil }
        let vector = data.withUnsafeBytes { npy.values(in: $0, from: row * dimension, count: dimension) }
        return VectorFileRow(vector: vector)
    }

    /// The longest JSON line read: a 65,536-value vector written with full precision takes about
    /// 1.6 MB, so a longer line is not a row (and would make the decoder allocate by it).
    public static let maximumJSONLineBytes = 16 << 20

    private func nextJSONLine() throws(VectorFileError) -> VectorFileRow? {
        while offset < data.count {
            let searchEnd = min(data.count, offset + Self.maximumJSONLineBytes + 1)
            let end = data[offset..<searchEnd].firstIndex(of: UInt8(ascii: "\n")) ?? searchEnd
            guard end - offset <= Self.maximumJSONLineBytes else {
                throw .malformed(path: path, row: row, reason: "line is longer than \(Self.maximumJSONLineBytes >> 20) MiB")
            }
            let line = data[offset..<end]
            offset = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let parsed = try JSONLineRow.parse(line, path: path, row: row)
            if let dimension {
                guard parsed.vector.count == dimension else {
                    throw .malformed(path: path, row: row, reason: "row has \(parsed.vector.count) values; the first row has \(dimension)")
                }
            } else {
                guard !parsed.vector.isEmpty else { throw .malformed(path: path, row: row, reason: "empty vector") }
                dimension = parsed.vector.count
            }
            return parsed
        }
        return nil
    }
}
