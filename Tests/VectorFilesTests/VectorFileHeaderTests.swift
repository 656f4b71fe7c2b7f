import Foundation
import Testing
import VectorFiles

/// Header fields are the file's word: checked against the file's size before anything is sized
/// by them, so a hostile header gets an error, never a trap or a huge allocation.
struct VectorFileHeaderTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// A version 1.0 .npy file with `shape` and `payload`.
    func npy(shape: String, payload: [UInt8] = [0, 0, 128, 63], descr: String = "<f4") throws -> String {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        let path = temporary.url.appendingPathComponent("h.npy").path
        try Data(bytes + payload).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: ["(4611686018427387904, 4)", "(9223372036854775807, 2)", "(3037000500, 3037000500)"])
    func anNPYShapeWhoseSizeOverflowsIsMalformed(shape: String) throws {
        let path = try npy(shape: shape)
        #expect(throws: VectorFileError.malformed(
            path: path, row: nil,
            reason: "shape \(shape) of <f4 needs more than 2^63 bytes of data; the file holds 4 (truncated, or a bad header?)")) {
            _ = try VectorFileReader(path: path)
        }
    }

    @Test func anNPYShapeLargerThanTheFileIsMalformed() throws {
        let path = try npy(shape: "(1000000, 384)")
        #expect(throws: VectorFileError.malformed(
            path: path, row: nil,
            reason: "shape (1000000, 384) of <f4 needs 1536000000 bytes of data; the file holds 4 (truncated, or a bad header?)")) {
            _ = try VectorFileReader(path: path)
        }
    }

    @Test func anNPYShapeThatFitsIsRead() throws {
        let path = try npy(shape: "(1, 1)")
        #expect(try VectorFileReader(path: path).readAll() == [VectorFileRow(vector: [1])])
    }

    @Test(arguments: [Int32.max, 1 << 20])
    func anFvecsDimensionLargerThanTheFileIsMalformed(dimension: Int32) throws {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: dimension.littleEndian) { bytes += $0 }
        bytes += [0, 0, 128, 63]
        let path = temporary.url.appendingPathComponent("h.fvecs").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: VectorFileError.malformed(
            path: path, row: 0,
            reason: "first row says dimension \(dimension) (\(4 + 4 * Int(dimension)) bytes); the file holds 8 bytes (not an fvecs file, or truncated?)")) {
            _ = try VectorFileReader(path: path)
        }
    }

    @Test func aJSONLineLongerThanTheLimitIsMalformed() throws {
        let path = temporary.url.appendingPathComponent("long.jsonl").path
        var line = Data("[1]\n[".utf8)
        line.append(Data(repeating: UInt8(ascii: "0"), count: VectorFileReader.maximumJSONLineBytes))
        line.append(Data("]\n".utf8))
        try line.write(to: URL(fileURLWithPath: path))
        let reader = try VectorFileReader(path: path)
        #expect(try reader.next() == VectorFileRow(vector: [1]))
        #expect(throws: VectorFileError.malformed(path: path, row: 1, reason: "line is longer than 16 MiB")) {
            _ = try reader.next()
        }
    }

    @Test func aMissingFileADirectoryAndAFIFOAreNamedInOurWords() throws {
        let missing = temporary.url.appendingPathComponent("missing.fvecs").path
        #expect(throws: VectorFileError.io(path: missing, reason: "cannot read it: No such file or directory (ENOENT); check the path")) {
            _ = try VectorFileReader(path: missing)
        }
        let directory = temporary.url.path
        #expect(throws: VectorFileError.io(path: directory, reason: "it is a directory; give the path of a file")) {
            _ = try VectorFileReader(path: directory, format: .npy)
        }
        let fifo = temporary.url.appendingPathComponent("fifo.jsonl").path
        #expect(mkfifo(fifo, 0o644) == 0)
        // a FIFO is refused before it is opened, so the reader cannot block on it
        #expect(throws: VectorFileError.io(path: fifo, reason: "it is not a regular file (a device, FIFO or socket); give the path of a file")) {
            _ = try VectorFileReader(path: fifo)
        }
        #expect(throws: VectorFileError.io(path: "/dev/zero", reason: "it is not a regular file (a device, FIFO or socket); give the path of a file")) {
            _ = try IVecsFile.read(path: "/dev/zero")
        }
    }
}
