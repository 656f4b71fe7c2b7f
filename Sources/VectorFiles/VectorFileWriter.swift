import Foundation

/// Encodes rows into a vector file, buffered, and hands the bytes to a `VectorFileOutput`, which
/// puts them at its path when `finish()` commits it (an output that stages the file, as fmdb's
/// does, shows nothing at the path until then, and keeps the path as it was if the writer is dropped).
public final class VectorFileWriter {
    /// The file's path, as its output names it.
    public var path: String { output.path }
    /// The file's format.
    public let format: VectorFileFormat
    /// Floats per row.
    public let dimension: Int

    private let output: any VectorFileOutput
    private var buffer: [UInt8] = []
    private var rowsWritten = 0
    private let expectedRows: Int?

    /// Starts a file of `format` in `output`, which is abandoned if the arguments are refused. The
    /// npy format needs `rowCount` up front for its header.
    public init(output: any VectorFileOutput, format: VectorFileFormat, dimension: Int, rowCount: Int?) throws(VectorFileError) {
        if format == .npy && rowCount == nil {
            output.abandon()
            throw .unsupported(path: output.path, reason: "writing .npy needs the row count up front")
        }
        self.format = format
        self.dimension = dimension
        self.output = output
        self.expectedRows = rowCount
        buffer.reserveCapacity(1 << 20)
        if format == .npy, let rowCount { buffer += Self.npyHeader(rows: rowCount, columns: dimension) }
    }

    /// Appends one row. `id`, `label` and `userData` (base64) are written by JSON lines only.
    public func write(_ vector: [Float], id: UInt64? = nil, label: String? = nil, userData: Data? = nil) throws(VectorFileError) {
        guard vector.count == dimension else {
            throw .malformed(path: path, row: rowsWritten, reason: "row has \(vector.count) values; the file has \(dimension)")
        }
        switch format {
        case .fvecs:
            append(UInt32(truncatingIfNeeded: dimension))
            for x in vector { append(x.bitPattern) }
        case .npy:
            for x in vector { append(x.bitPattern) }
        case .jsonl:
            var line = "{"
            if let id { line += "\"id\":\(id)," }
            line += "\"vector\":[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
            if let label { line += ",\"label\":" + Self.jsonString(label) }
            if let userData { line += ",\"user_data\":\"" + userData.base64EncodedString() + "\"" }
            line += "}\n"
            buffer += Array(line.utf8)
        }
        rowsWritten += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes what is buffered, makes the file durable and puts it at `path`.
    public func finish() throws(VectorFileError) {
        if let expectedRows, format == .npy, expectedRows != rowsWritten {
            output.abandon()
            throw .malformed(path: path, row: rowsWritten, reason: "wrote \(rowsWritten) rows; the header says \(expectedRows)")
        }
        try flush()
        try output.commit()
    }

    private func flush() throws(VectorFileError) {
        guard !buffer.isEmpty else { return }
        try output.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { buffer += $0 }
    }

    /// A version 1.0 header, padded so the data starts on a 64-byte boundary.
    static func npyHeader(rows: Int, columns: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(dict.utf8.count)
        return NPYHeader.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
