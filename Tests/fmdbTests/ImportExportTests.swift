import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

@Suite struct ImportExportTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    func writeFile(_ vectors: [[Float]], format: VectorFileFormat, name: String, labels: [String?]? = nil) throws -> String {
        let path = temp.path(name)
        let writer = try VectorFileWriter(path: path, format: format, dimension: vectors[0].count, rowCount: vectors.count)
        for (row, vector) in vectors.enumerated() {
            try writer.write(vector, id: format == .jsonl && labels != nil ? UInt64(row) : nil, label: labels?[row])
        }
        try writer.finish()
        return path
    }

    @Test(arguments: VectorFileFormat.allCases)
    func importGivesRowNumbersPlusFirstIdAndKeepsValues(_ format: VectorFileFormat) throws {
        var random = SeededGenerator(seed: 3)
        let vectors = random.vectors(50, dimension: 16)
        let file = try writeFile(vectors, format: format, name: "in.\(format.rawValue)")
        let store = temp.path("s")
        let result = try FMDBRunner.run(["import", store, file, "--first-id", "1000", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try result.json()
        #expect(summary["rows"] as? Int == 50)
        #expect(summary["count"] as? Int == 50)
        #expect((summary["rows_per_second"] as? Double ?? 0) > 0)
        let opened = try FeatureStore(at: URL(fileURLWithPath: store), options: .init(createIfMissing: false))
        #expect(opened.dimension == 16)
        for (row, vector) in vectors.enumerated() {
            #expect(try opened.get(1000 + UInt64(row)).vector == vector)
        }
        #expect(try opened.count() == 50)
    }

    @Test func exportThenImportRoundTripsIdsLabelsAndValues() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "3", "--metric", "cosine"])
        try FMDBRunner.run(["put", store, "5", "--vector", "1,2,3", "--label", "a b"])
        try FMDBRunner.run(["put", store, "18446744073709551615", "--vector", "0.5,-0.5,1e-7"])
        let jsonl = temp.path("out.jsonl")
        #expect(try FMDBRunner.run(["export", store, jsonl]).status == 0)
        let copy = temp.path("copy")
        #expect(try FMDBRunner.run(["import", copy, jsonl, "--metric", "cosine"]).status == 0)
        let got = try FMDBRunner.run(["get", copy, "18446744073709551615", "--json"]).json()
        // JSON carries each float's shortest decimal form, which reads back as the same float
        #expect((got["vector"] as? [Double])?.map { Float($0) } == [0.5, -0.5, 1e-7])
        #expect(try FMDBRunner.run(["get", copy, "5", "--json"]).json()["label"] as? String == "a b")

        for format in ["fvecs", "npy"] {
            let file = temp.path("out.\(format)")
            #expect(try FMDBRunner.run(["export", store, file]).status == 0)
            let rows = try VectorFileReader(path: file).readAll()
            #expect(rows.map(\.vector) == [[1, 2, 3], [0.5, -0.5, 1e-7]])
        }
    }

    @Test func userDataTravelsThroughJSONLinesAndBadBase64ChangesNothing() throws {
        let source = temp.path("in.jsonl")
        let bytes = Data((0..<300).map { UInt8($0 % 256) })
        try "{\"id\": 9, \"vector\": [1,2,3], \"label\": \"x\", \"user_data\": \"\(bytes.base64EncodedString())\"}\n{\"id\": 10, \"vector\": [3,2,1]}\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        let store = temp.path("s")
        #expect(try FMDBRunner.run(["import", store, source, "--metric", "l2"]).status == 0)
        let exported = temp.path("out.jsonl")
        #expect(try FMDBRunner.run(["export", store, exported]).status == 0)
        let rows = try VectorFileReader(path: exported).readAll()
        #expect(rows.first { $0.id == 9 }?.userData == bytes)
        #expect(rows.first { $0.id == 10 }?.userData == nil)
        let copy = temp.path("copy")
        #expect(try FMDBRunner.run(["import", copy, exported]).status == 0)
        let again = temp.path("again.jsonl")
        #expect(try FMDBRunner.run(["export", copy, again]).status == 0)
        #expect(try VectorFileReader(path: again).readAll() == rows)

        let before = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
        let bad = temp.path("bad.jsonl")
        try "{\"id\": 11, \"vector\": [1,1,1]}\n{\"id\": 12, \"vector\": [1,2,2], \"user_data\": \"%%not base64\"}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try FMDBRunner.run(["import", store, bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("row 1") && refused.stderr.contains("not base64"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")) == before)
    }

    @Test func aTruncatedFileChangesNothing() throws {
        var random = SeededGenerator(seed: 4)
        let file = try writeFile(random.vectors(10, dimension: 8), format: .fvecs, name: "in.fvecs")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        try data.prefix(data.count - 5).write(to: URL(fileURLWithPath: file))
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a whole number"))
        #expect(!FileManager.default.fileExists(atPath: store + "/data.mdb"))
    }

    @Test(arguments: [
        ("[1, 2]\n[1, 2, 3]\n", "row 1: row has 3 values; the first row has 2"),
        ("[1, 2]\n{\"vector\": [1, \"x\"]}\n", "row 1: expected"),
        ("[1, 2]\nnot json\n", "row 1:"),
        ("[1, 2]\n[1e39, 2]\n", "row 1:"),
        ("[1, 2]\n{\"vector\": [1, 2], \"id\": -4}\n", "row 1:"),
    ])
    func aMalformedJSONLineIntoAnExistingStoreChangesNothing(_ content: String, _ message: String) throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "2"])
        try FMDBRunner.run(["put", store, "0", "--vector", "9,9"])
        let file = temp.path("bad.jsonl")
        try content.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try FMDBRunner.run(["import", store, file])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int == 1)
        #expect(try FMDBRunner.run(["get", store, "0", "--json"]).json()["vector"] as? [Double] == [9, 9])
    }

    @Test func aFileOfAnotherDimensionIsRefused() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "4"])
        var random = SeededGenerator(seed: 5)
        let file = try writeFile(random.vectors(3, dimension: 5), format: .npy, name: "in.npy")
        let result = try FMDBRunner.run(["import", store, file])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: store has dimension 4; 5 was requested\n")
    }

    /// A version 1.0 .npy file written by hand.
    func npy(descr: String, fortran: Bool, shape: String, payload: [UInt8]) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        return Data(bytes + payload)
    }

    @Test func npyOfFloat64IsReadAndFortranOrderIsRefused() throws {
        var payload: [UInt8] = []
        for x in [1.0, 2.0, 3.0, 4.0, 5.0, 6.5] { withUnsafeBytes(of: x.bitPattern.littleEndian) { payload += $0 } }
        let file = temp.path("f8.npy")
        try npy(descr: "<f8", fortran: false, shape: "(2, 3)", payload: payload).write(to: URL(fileURLWithPath: file))
        let store = temp.path("s")
        #expect(try FMDBRunner.run(["import", store, file]).status == 0)
        #expect(try FMDBRunner.run(["get", store, "1", "--json"]).json()["vector"] as? [Double] == [4, 5, 6.5])

        let fortran = temp.path("fortran.npy")
        try npy(descr: "<f8", fortran: true, shape: "(2, 3)", payload: payload).write(to: URL(fileURLWithPath: fortran))
        let refused = try FMDBRunner.run(["import", temp.path("s2"), fortran])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Fortran"))

        let ints = temp.path("ints.npy")
        try npy(descr: "<i4", fortran: false, shape: "(1, 2)", payload: [1, 0, 0, 0, 2, 0, 0, 0]).write(to: URL(fileURLWithPath: ints))
        let unsupported = try FMDBRunner.run(["import", temp.path("s3"), ints])
        #expect(unsupported.status == 1)
        #expect(unsupported.stderr.contains("element type <i4"))

        let short = temp.path("short.npy")
        try npy(descr: "<f4", fortran: false, shape: "(4, 3)", payload: [0, 0, 128, 63]).write(to: URL(fileURLWithPath: short))
        let truncated = try FMDBRunner.run(["import", temp.path("s4"), short])
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("truncated"))
    }
}
