import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// `fmdb import` checks every row by the rules a put applies before it creates or writes
/// anything; when writing stops partway it says exactly which rows are committed.
@Suite struct ImportCheckTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// `count` random rows of `dimension` values, row `bad` replaced by `badRow` (a JSON value).
    func jsonl(_ name: String, count: Int, dimension: Int = 8, bad: Int? = nil, badRow: String = "") throws -> String {
        var random = SeededGenerator(seed: UInt64(count))
        let lines = random.vectors(count, dimension: dimension).enumerated().map { row, vector in
            row == bad ? badRow : "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
        }
        let path = temp.path(name)
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A store of 10 rows (ids 0…9), with `metric`.
    func existingStore(metric: String) throws -> String {
        let store = temp.path("s")
        let result = try FMDBRunner.run(["import", store, try jsonl("seed.jsonl", count: 10), "--metric", metric])
        try #require(result.status == 0, "\(result.stderr)")
        return store
    }

    func count(_ store: String) throws -> Int? {
        try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int
    }

    /// Rows a put refuses, as JSON lines, with the metric that refuses them and the rule's words.
    static let badRows: [(row: String, metric: String, message: String)] = [
        ("[0,0,0,0,0,0,0,0]", "cosine", "row 1200: vector is all zeros (or nearly: length below 1e-18); the cosine metric cannot compare it; nothing was imported"),
        ("[1e-20,0,0,0,0,0,0,0]", "cosine", "row 1200: vector is all zeros (or nearly: length below 1e-18)"),
        ("[3e38,3e38,0,0,0,0,0,0]", "l2", "row 1200: vector is too large: its length overflows float32; nothing was imported"),
        ("{\"vector\": [1,2,3,4,5,6,7,8], \"label\": \"\"}", "l2", "row 1200: invalid label: empty (pass nil for no label); nothing was imported"),
        ("{\"vector\": [1,2,3,4,5,6,7,8], \"label\": \"\(String(repeating: "x", count: 256))\"}", "l2",
         "row 1200: invalid label: 256 bytes; at most 255; nothing was imported"),
        ("{\"vector\": [1,2,3,4,5,6,7,8], \"label\": \"a\\u0000b\"}", "l2", "row 1200: invalid label: contains a NUL character"),
    ]

    @Test(arguments: badRows)
    func aBadRowInAnExistingStoreChangesNothing(_ bad: (row: String, metric: String, message: String)) throws {
        let store = try existingStore(metric: bad.metric)
        let data = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
        let file = try jsonl("bad.jsonl", count: 1_500, bad: 1_200, badRow: bad.row)
        let result = try FMDBRunner.run(["import", store, file, "--first-id", "100"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: \(file), \(bad.message)"), "\(result.stderr)")
        #expect(try count(store) == 10)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")) == data)
        #expect(try FMDBRunner.run(["get", store, "100"]).status == 1)
    }

    @Test(arguments: badRows)
    func aBadRowLeavesNoNewStore(_ bad: (row: String, metric: String, message: String)) throws {
        let file = try jsonl("bad.jsonl", count: 1_500, bad: 1_200, badRow: bad.row)
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, file, "--metric", bad.metric])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: \(file), \(bad.message)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test func aNonFiniteValueInAnNPYFileIsNamedByRowAndElement() throws {
        let path = temp.path("nan.npy")
        let writer = try VectorFileWriter(path: path, format: .npy, dimension: 4, rowCount: 3)
        try writer.write([1, 2, 3, 4])
        try writer.write([1, 2, 3, 4])
        try writer.write([1, 2, .nan, 4])
        try writer.finish()
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, path])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(path), row 2: vector element 2 is not a finite number (NaN or infinity); nothing was imported\n")
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test func anIDPastTheLastIsRefusedBeforeAnythingIsWritten() throws {
        let file = try jsonl("rows.jsonl", count: 3)
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, file, "--first-id", "\(UInt64.max - 1)"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(file), row 2: id overflows: --first-id \(UInt64.max - 1) + row 2 is past \(UInt64.max); nothing was imported\n")
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test(arguments: ["18446744073709551616", "-1", "1.5", "\"7\""])
    func anIDThatIsNoUInt64IsMalformedAndChangesNothing(_ id: String) throws {
        let store = try existingStore(metric: "l2")
        let data = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
        let file = temp.path("ids.jsonl")
        try "{\"id\": 5, \"vector\": [1,2,3,4,5,6,7,8]}\n{\"id\": \(id), \"vector\": [1,2,3,4,5,6,7,8]}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try FMDBRunner.run(["import", store, file])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: \(file), row 1: expected {\"vector\": [...], \"id\"?, \"label\"?, \"user_data\"?}"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")) == data)
        #expect(try count(store) == 10)
    }

    @Test func aFailedFirstWriteIntoANewStoreRemovesIt() throws {
        // 3,000 rows of 128 values in one batch do not fit under a 1 MiB map cap
        let file = try jsonl("big.jsonl", count: 3_000, dimension: 128)
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, file, "--map-cap-mb", "1", "--batch-size", "3000", "--json"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: import stopped at row 0: store reached its map size cap of 1048576 bytes; reopen with a larger cap to write more; no row was committed, and the store this import created was removed\n")
        let json = try result.json()
        #expect(json["committed_rows"] as? Int == 0)
        #expect(json["rows"] as? Int == 3_000)
        #expect(json["store_removed"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test func aFailedFirstWriteKeepsADirectoryThatWasThere() throws {
        let file = try jsonl("big.jsonl", count: 3_000, dimension: 128)
        let store = temp.path("existing-directory")
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: store + "/notes.txt"))
        let result = try FMDBRunner.run(["import", store, file, "--map-cap-mb", "1", "--batch-size", "3000"])
        #expect(result.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store) == ["notes.txt"])
    }

    @Test func aWriteThatStopsPartwaySaysWhichRowsAreCommitted() throws {
        let file = try jsonl("big.jsonl", count: 3_000, dimension: 128)
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, file, "--map-cap-mb", "1", "--batch-size", "100", "--first-id", "1000", "--json"])
        #expect(result.status == 1)
        let committed = try #require(try count(store))
        #expect(committed > 0 && committed < 3_000 && committed % 100 == 0)
        #expect(result.stderr == "Error: import stopped at row \(committed): store reached its map size cap of 1048576 bytes; reopen with a larger cap to write more; rows 0…\(committed - 1) are committed (ids 1000…\(999 + committed)); rows \(committed)…2999 are not\n")
        let json = try result.json()
        #expect(json["committed_rows"] as? Int == committed)
        #expect(json["failed_row"] as? Int == committed)
        #expect(json["first_committed_id"] as? Int == 1000)
        #expect(json["last_committed_id"] as? Int == 999 + committed)
        #expect(json["store_removed"] as? Bool == false)
        #expect(try FMDBRunner.run(["get", store, "\(999 + committed)"]).status == 0)
        #expect(try FMDBRunner.run(["get", store, "\(1000 + committed)"]).status == 1)
        #expect(try FMDBRunner.run(["verify", store]).status == 0)
    }

    @Test func rowsThatCarryTheirOwnIDsAreNamedByRowNotByAnIDRange() throws {
        var random = SeededGenerator(seed: 5)
        // ids of the file's own, descending and one of them missing: no range names them
        let lines = random.vectors(3_000, dimension: 128).enumerated().map { row, vector in
            let values = "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
            return row == 1 ? values : "{\"id\": \(1_000_000 - row), \"vector\": \(values)}"
        }
        let file = temp.path("ids.jsonl")
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let store = temp.path("new")
        let result = try FMDBRunner.run(["import", store, file, "--map-cap-mb", "1", "--batch-size", "100", "--json"])
        #expect(result.status == 1)
        let committed = try #require(try count(store))
        #expect(result.stderr.hasSuffix("; rows 0…\(committed - 1) are committed (with the ids the file gives them); rows \(committed)…2999 are not\n"), "\(result.stderr)")
        let json = try result.json()
        #expect(json["committed_rows"] as? Int == committed)
        #expect(json["first_committed_id"] == nil)
        #expect(try FMDBRunner.run(["get", store, "\(1_000_000 - (committed - 1))"]).status == 0)
        #expect(try FMDBRunner.run(["get", store, "\(1_000_000 - committed)"]).status == 1)
    }
}
