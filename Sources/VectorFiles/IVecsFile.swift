import Foundation

/// ANN-benchmarks "texmex" integer files (`.ivecs`): ground-truth neighbour lists.
public enum IVecsFile {
    /// Every row of `path`.
    public static func read(path: String) throws(VectorFileError) -> [[Int32]] {
        let data = try InputFile.map(path)
        var rows: [[Int32]] = []
        var offset = 0
        while offset < data.count {
            guard offset + 4 <= data.count else { throw .malformed(path: path, row: rows.count, reason: "truncated row header") }
            let d = Int(data.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Int32.self)) })
            guard d >= 0, offset + 4 + 4 * d <= data.count else {
                throw .malformed(path: path, row: rows.count, reason: "row of \(d) values runs past the end")
            }
            rows.append(data.withUnsafeBytes { bytes in
                (0..<d).map { Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 + 4 * $0, as: Int32.self)) }
            })
            offset += 4 + 4 * d
        }
        return rows
    }

    /// Writes `rows` to `output` and commits it.
    public static func write(_ rows: [[Int32]], to output: any VectorFileOutput) throws(VectorFileError) {
        var bytes: [UInt8] = []
        for row in rows {
            withUnsafeBytes(of: Int32(row.count).littleEndian) { bytes += $0 }
            for x in row { withUnsafeBytes(of: x.littleEndian) { bytes += $0 } }
        }
        try output.write(bytes)
        try output.commit()
    }
}
