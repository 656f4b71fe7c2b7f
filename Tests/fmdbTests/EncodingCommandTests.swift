import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// `--encoding` on create and import, and how info and stats report it.
@Suite struct EncodingCommandTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    func vectorFile(rows: Int, dimension: Int, seed: UInt64) throws -> String {
        var random = SeededGenerator(seed: seed)
        let path = temp.path("in-\(seed).fvecs")
        let writer = try VectorFileWriter(path: path, format: .fvecs, dimension: dimension, rowCount: rows)
        for vector in random.vectors(rows, dimension: dimension) { try writer.write(vector, id: nil, label: nil) }
        try writer.finish()
        return path
    }

    @Test(arguments: ["f16", "bf16", "int8"])
    func importCreatesAStoreOfTheEncodingAndStatsShowItsBytes(encoding: String) throws {
        let store = temp.path("s")
        let file = try vectorFile(rows: 120, dimension: 64, seed: 1)
        let imported = try FMDBRunner.run(["import", store, file, "--encoding", encoding, "--m", "8", "--ef-construction", "40", "--durability", "no-sync"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let info = try FMDBRunner.run(["info", store, "--json"]).json()
        #expect(info["encoding"] as? String == encoding)
        #expect(info["format_version"] as? Int == 6)
        let stats = try FMDBRunner.run(["stats", store, "--json", "--recall-sample", "20"]).json()
        #expect(stats["encoding"] as? String == encoding)
        let payload = ["f16": 4 + 64 * 2, "bf16": 64 * 2, "int8": 8 + 64][encoding]!
        #expect(stats["stored_vector_bytes"] as? Int == 120 * payload)
        let derived = try #require(stats["derived"] as? [String: Any])
        let byTable = try #require(derived["bytes_per_vector_by_table"] as? [String: Double])
        #expect(Set(byTable.keys).isSuperset(of: ["vectors", "graph", "keys", "patterns", "free"]))
        #expect((byTable["vectors"] ?? 0) > Double(payload))
        // a second import must match the store's encoding, and a mismatch changes nothing
        let again = try FMDBRunner.run(["import", store, try vectorFile(rows: 5, dimension: 64, seed: 2), "--encoding", encoding == "int8" ? "f16" : "int8"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("encoding"), "\(again.stderr)")
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int == 120)
    }

    @Test func createTakesTheEncodingAndAnUnknownOneIsRefused() throws {
        let store = temp.path("s")
        let created = try FMDBRunner.run(["create", store, "--dim", "8", "--encoding", "bf16", "--json"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try created.json()["encoding"] as? String == "bf16")
        let unknown = try FMDBRunner.run(["create", temp.path("t"), "--dim", "8", "--encoding", "f8"])
        #expect(unknown.status != 0)
        #expect(!FileManager.default.fileExists(atPath: temp.path("t")))
    }
}
