import Foundation
import Testing
import VectorFiles

/// What the writer encodes, the reader reads back: every value exactly, and in JSON lines the ids
/// and labels too; nothing is committed before `finish`, and a refused file abandons its output.
struct VectorFileWriterTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// Saves what `output` committed under its name and returns the path.
    func saved(_ output: MemoryOutput) throws -> String {
        let url = temporary.url.appendingPathComponent(output.path)
        try output.save(to: url)
        return url.path
    }

    @Test(arguments: VectorFileFormat.allCases)
    func rowsWrittenAreReadBackExactly(_ format: VectorFileFormat) throws {
        let rows = [
            VectorFileRow(vector: [1, -2.5, 0, .greatestFiniteMagnitude], id: 7, label: "dog \"rex\""),
            VectorFileRow(vector: [-0.0, 3, 1e-30, .leastNonzeroMagnitude], id: 9, label: nil),
        ]
        let output = MemoryOutput(path: "rows.\(format.rawValue)")
        let writer = try VectorFileWriter(output: output, format: format, dimension: 4, rowCount: rows.count)
        for row in rows { try writer.write(row.vector, id: row.id, label: row.label) }
        #expect(output.committed == nil)
        try writer.finish()
        let read = try VectorFileReader(path: try saved(output)).readAll()
        // only JSON lines carry ids and labels
        #expect(read == (format == .jsonl ? rows : rows.map { VectorFileRow(vector: $0.vector) }))
        #expect(read.map { $0.vector.map(\.bitPattern) } == rows.map { $0.vector.map(\.bitPattern) })
    }

    @Test func anNPYFileNeedsItsRowCountAndExactlyThatManyRows() throws {
        let unsized = MemoryOutput(path: "unsized.npy")
        #expect(throws: VectorFileError.unsupported(path: "unsized.npy", reason: "writing .npy needs the row count up front")) {
            _ = try VectorFileWriter(output: unsized, format: .npy, dimension: 2, rowCount: nil)
        }
        #expect(unsized.abandoned)
        let short = MemoryOutput(path: "short.npy")
        let writer = try VectorFileWriter(output: short, format: .npy, dimension: 2, rowCount: 3)
        try writer.write([1, 2])
        #expect(throws: VectorFileError.malformed(path: "short.npy", row: 1, reason: "wrote 1 rows; the header says 3")) {
            try writer.finish()
        }
        #expect(short.abandoned && short.committed == nil)
    }

    @Test func ivecsRowsAreReadBack() throws {
        let rows: [[Int32]] = [[3, 1, 2], [], [Int32.max, -1]]
        let output = MemoryOutput(path: "truth.ivecs")
        try IVecsFile.write(rows, to: output)
        #expect(try IVecsFile.read(path: try saved(output)) == rows)
    }
}
