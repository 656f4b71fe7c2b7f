import FeatureMemory
import Foundation
import Testing

@Suite struct BasicCommandTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func createThenInfoReportsDimensionMetricAndCount() throws {
        let store = temp.path("s")
        let created = try FMDBRunner.run(["create", store, "--dim", "4", "--metric", "ip"])
        #expect(created.status == 0, "\(created.stderr)")
        let info = try FMDBRunner.run(["info", store, "--json"]).json()
        #expect(info["dimension"] as? Int == 4)
        #expect(info["metric"] as? String == "ip")
        #expect(info["count"] as? Int == 0)
        #expect(info["format_version"] as? Int == 6)
    }

    @Test func createOverAnExistingStoreFailsWithOneLine() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "4"])
        let again = try FMDBRunner.run(["create", store, "--dim", "8"])
        #expect(again.status != 0)
        #expect(again.stderr.hasPrefix("Error: a store already exists"))
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["dimension"] as? Int == 4)
    }

    @Test func putGetListRemoveRoundTrip() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "3"])
        #expect(try FMDBRunner.run(["put", store, "7", "--vector", "-1.5,0.25,3", "--label", "seven"]).status == 0)
        #expect(try FMDBRunner.run(["put", store, "2", "--vector", "0,0,1"]).status == 0)
        let got = try FMDBRunner.run(["get", store, "7", "--json"]).json()
        #expect(got["vector"] as? [Double] == [-1.5, 0.25, 3])
        #expect(got["label"] as? String == "seven")
        #expect(got["id"] as? Int == 7)
        let listed = try FMDBRunner.run(["ls", store])
        #expect(listed.lines == ["2", "7\tseven"])
        let byLabel = try FMDBRunner.run(["ls", store, "--label", "seven", "--json"]).json()
        #expect(byLabel["count"] as? Int == 1)
        #expect(try FMDBRunner.run(["rm", store, "7"]).status == 0)
        let gone = try FMDBRunner.run(["get", store, "7"])
        #expect(gone.status == 1)
        #expect(gone.stderr == "Error: no vector with id 7\n")
    }

    @Test(arguments: [
        (["1,2"], "Error: vector has 2 dimensions; this store holds 3"),
        (["1,nan,3"], "Error: vector element 1 is not a finite number (NaN or infinity)"),
        (["1,inf,3"], "Error: vector element 1 is not a finite number (NaN or infinity)"),
    ])
    func badVectorsAreRefusedAndChangeNothing(_ vector: [String], _ message: String) throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "3"])
        let result = try FMDBRunner.run(["put", store, "1", "--vector"] + vector)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix(message))
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int == 0)
    }

    @Test func notANumberInTheVectorIsAUsageError() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "3"])
        let result = try FMDBRunner.run(["put", store, "1", "--vector", "1,x,3"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("not a number"))
    }

    @Test func removingAnUnknownIdAmongKnownOnesRemovesNothing() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "2"])
        try FMDBRunner.run(["put", store, "1", "--vector", "1,2"])
        let result = try FMDBRunner.run(["rm", store, "1", "99"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: no vector with id 99\n")
        #expect(try FMDBRunner.run(["get", store, "1"]).status == 0)
    }

    @Test func commandsOnAMissingStoreFailWithoutCreatingIt() throws {
        let store = temp.path("missing")
        for command in [["info", store], ["stats", store], ["ls", store], ["get", store, "1"], ["verify", store]] {
            let result = try FMDBRunner.run(command)
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr == "Error: no store at \(store)\n", "\(command)")
        }
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test func statsReportsCountsCompressionAndTables() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "64"])
        // values with few significant bits compress; random ones do not
        for id in 0..<20 {
            let values = (0..<64).map { "\(Float(($0 + id) % 4))" }.joined(separator: ",")
            try FMDBRunner.run(["put", store, "\(id)", "--vector", values])
        }
        let stats = try FMDBRunner.run(["stats", store, "--json"]).json()
        #expect(stats["count"] as? Int == 20)
        #expect(stats["raw_vector_bytes"] as? Int == 20 * 64 * 4)
        #expect((stats["compression_ratio"] as? Double ?? 0) > 2)
        let tables = try #require(stats["tables"] as? [[String: Any]])
        #expect(tables.first { $0["name"] as? String == "vectors" }?["entries"] as? Int == 20)
        #expect(stats["readers_in_use"] != nil)
        let text = try FMDBRunner.run(["stats", store])
        #expect(text.stdout.contains("compression ratio"))
    }

    @Test func statsDerivesRatiosAndARecallEstimateFromTheStoresOwnVectors() throws {
        let store = temp.path("d")
        try FMDBRunner.run(["create", store, "--dim", "8"])
        // deterministic values spread over -1…1
        let lines = (0..<400).map { id in
            "{\"id\": \(id), \"vector\": [" + (0..<8).map { "\(sin(Float(id * 8 + $0) * 12.9898) )" }.joined(separator: ",") + "]}"
        }
        let file = temp.path("d.jsonl")
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try FMDBRunner.run(["import", store, file])
        let derived = try #require(try FMDBRunner.run(["stats", store, "--json", "--recall-sample", "50"]).json()["derived"] as? [String: Any])
        let recall = try #require(derived["recall_estimate"] as? [String: Any])
        #expect(recall["queries"] as? Int == 50)
        #expect(recall["k"] as? Int == 10)
        // 400 points of 8 values at ef 64: the graph finds nearly all neighbours
        #expect((recall["recall"] as? Double ?? 0) > 0.9)
        #expect((derived["bytes_per_vector"] as? Double ?? 0) > 32)
        // no opening saved cache statistics yet: null, not missing
        #expect(derived["cache_hit_ratio"] is NSNull)
        let skipped = try #require(try FMDBRunner.run(["stats", store, "--json", "--recall-sample", "0"]).json()["derived"] as? [String: Any])
        #expect((skipped["recall_estimate"] as? [String: Any])?["recall"] is NSNull)
        #expect(try FMDBRunner.run(["stats", store, "--recall-sample", "-1"]).status != 0)
    }
}
