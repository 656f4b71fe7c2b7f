import CommandSupport
import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// Every numeric option has a range: a value outside it is a usage error (exit 64) that names
/// the option and the range, before anything is opened or written; file headers that would size
/// an allocation beyond the file are malformed (exit 1), never a trap.
@Suite struct OptionRangeTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// A store of 5 rows of dimension 4 and the file they came from.
    func store() throws -> (store: String, file: String) {
        let file = temp.path("rows.jsonl")
        try "[1,2,3,4]\n[2,3,4,5]\n[3,4,5,6]\n[4,5,6,7]\n[5,6,7,8]\n".write(toFile: file, atomically: true, encoding: .utf8)
        let store = temp.path("s")
        try #require(try FMDBRunner.run(["import", store, file]).status == 0)
        return (store, file)
    }

    /// Command lines with one option out of range (STORE, FILE, TSV stand for paths), and the first line of the error.
    static let outOfRange: [([String], String)] = [
        (["import", "STORE", "FILE", "--batch-size", "9223372036854775807"], "Error: --batch-size must be 1…1000000, got 9223372036854775807"),
        (["import", "STORE", "FILE", "--batch-size", "0"], "Error: --batch-size must be 1…1000000, got 0"),
        (["import", "NEW", "FILE", "--m", "2"], "Error: --m must be 4…255, got 2"),
        (["import", "NEW", "FILE", "--m", "3"], "Error: --m must be 4…255, got 3"),
        (["create", "NEW", "--dim", "4", "--m", "256"], "Error: --m must be 4…255, got 256"),
        (["create", "NEW", "--dim", "4", "--m", "8", "--ef-construction", "7"], "Error: --ef-construction must be 8…10000 (at least --m, 8), got 7"),
        (["create", "NEW", "--dim", "4", "--ef-construction", "10001"], "Error: --ef-construction must be 16…10000 (at least --m, 16), got 10001"),
        (["create", "NEW", "--dim", "0"], "Error: --dim must be 1…65536, got 0"),
        (["create", "NEW", "--dim", "65537"], "Error: --dim must be 1…65536, got 65537"),
        (["create", "NEW", "--dim", "4", "--map-cap-mb", "9223372036854775807"], "Error: --map-cap-mb must be 1…1073741824 (MiB), got 9223372036854775807"),
        (["search", "STORE", "--queries", "FILE", "--k", "0"], "Error: --k must be 1…100000, got 0"),
        (["search", "STORE", "--queries", "FILE", "--k", "9223372036854775807"], "Error: --k must be 1…100000, got 9223372036854775807"),
        (["search", "STORE", "--queries", "FILE", "--ef", "100001"], "Error: --ef must be 1…100000, got 100001"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--threads", "0"], "Error: --threads must be 1…1024, got 0"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--threads", "100000"], "Error: --threads must be 1…1024, got 100000"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--stream-length", "9223372036854775807"], "Error: --stream-length must be 1…10000000, got 9223372036854775807"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--stream-length", "10000001"], "Error: --stream-length must be 1…10000000, got 10000001"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--cache-mb", "9223372036854775807"], "Error: --cache-mb must be 0…1048576, got 9223372036854775807"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--ef", "16,x"], "Error: --ef must be a comma-separated list of integers 1…100000"),
        (["bench", "STORE", "--queries", "FILE", "--truth", "T", "--ef", "16,0"], "Error: --ef must be 1…100000, got 0"),
        (["calibrate", "STORE", "--examples", "TSV", "--bins", "1000000000"], "Error: --bins must be 1…1000, got 1000000000"),
        (["calibrate", "STORE", "--examples", "TSV", "--bins", "0"], "Error: --bins must be 1…1000, got 0"),
        (["recognize", "STORE", "FILE", "--neighbours", "0"], "Error: --neighbours must be 1…10000, got 0"),
        (["learn", "STORE", "FILE", "--label", "x", "--merge-radius=-1"], "Error: --merge-radius must be a finite distance ≥ 0, got -1.0"),
        (["crash-test", "--iterations", "0"], "Error: --iterations must be 1…10000000, got 0"),
        (["crash-test", "--max-delay-ms", "9223372036854775807"], "Error: --max-delay-ms must be 1…60000, got 9223372036854775807"),
    ]

    @Test(arguments: outOfRange)
    func anOptionOutOfRangeIsAUsageErrorAndChangesNothing(_ arguments: [String], _ message: String) throws {
        let (store, file) = try store()
        let data = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
        let substituted = arguments.map { ["STORE": store, "FILE": file, "NEW": temp.path("new"), "TSV": file, "T": file][$0] ?? $0 }
        let result = try FMDBRunner.run(substituted)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix(message + "\n"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")) == data)
        #expect(!FileManager.default.fileExists(atPath: temp.path("new")))
    }

    /// A version 1.0 .npy file with `shape` and four bytes of data.
    func npy(shape: String) throws -> String {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 0, 128, 63]
        let path = temp.path("h.npy")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: ["(4611686018427387904, 4)", "(1000000000, 1000000000)", "(100000, 384)"])
    func anNPYShapeBeyondTheFileIsMalformedForEveryReader(shape: String) throws {
        let (store, _) = try store()
        let file = try npy(shape: shape)
        for arguments in [["import", temp.path("new"), file], ["import", store, file], ["search", store, "--queries", file]] {
            let result = try FMDBRunner.run(arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("Error: \(file): shape \(shape) of <f4 needs "), "\(result.stderr)")
            #expect(result.stderr.contains("the file holds 4 (truncated, or a bad header?)"))
        }
        #expect(!FileManager.default.fileExists(atPath: temp.path("new")))
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int == 5)
    }

    @Test func anFvecsDimensionFieldBeyondTheFileIsMalformed() throws {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: Int32.max.littleEndian) { bytes += $0 }
        bytes += [0, 0, 128, 63]
        let file = temp.path("h.fvecs")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let result = try FMDBRunner.run(["import", temp.path("new"), file])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(file), row 0: first row says dimension 2147483647 (8589934592 bytes); the file holds 8 bytes (not an fvecs file, or truncated?)\n")
        #expect(!FileManager.default.fileExists(atPath: temp.path("new")))
    }

    @Test func aGroundTruthRowThatIsNoIdIsAnErrorNotATrap() throws {
        let (store, file) = try store()
        try IVecsFile.write([[-1], [0], [1], [2], [3]], to: OutputFile(path: temp.path("truth.ivecs")))
        let result = try FMDBRunner.run(["bench", store, "--queries", file, "--truth", temp.path("truth.ivecs"), "--k", "1", "--ef", "8"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: \(temp.path("truth.ivecs")), row 0: neighbour -1 with --first-id 0 is not an id"), "\(result.stderr)")
    }
}
