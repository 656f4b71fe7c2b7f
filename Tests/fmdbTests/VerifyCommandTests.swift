import FeatureMemory
import Foundation
import Testing

@Suite struct VerifyCommandTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func aCleanStoreVerifiesWithExitZero() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "3"])
        try FMDBRunner.run(["put", store, "1", "--vector", "1,2,3", "--label", "x"])
        let result = try FMDBRunner.run(["verify", store, "--json"])
        #expect(result.status == 0)
        let report = try result.json()
        #expect(report["clean"] as? Bool == true)
        #expect(report["vectors_checked"] as? Int == 1)
    }

    @Test func aFlippedByteInAVectorIsNamedAndExitsTwo() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "4"])
        try FMDBRunner.run(["put", store, "1", "--vector", "1,2,3,4"])
        try FMDBRunner.run(["put", store, "42", "--vector", "1234.5,-777.25,31.125,0.5"])
        // damage the payload of id 42 in the file, as a failing disk would
        let dataFile = URL(fileURLWithPath: store + "/data.mdb")
        var bytes = [UInt8](try Data(contentsOf: dataFile))
        let needle = withUnsafeBytes(of: Float(-777.25).bitPattern.littleEndian) { Array($0) }
        let offset = try #require((0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == needle })
        bytes[offset + 1] ^= 0x10
        try Data(bytes).write(to: dataFile)

        let result = try FMDBRunner.run(["verify", store])
        #expect(result.status == 2)
        #expect(result.stdout.contains("corrupt_vector id 42"))
        let json = try FMDBRunner.run(["verify", store, "--json"]).json()
        let problems = try #require(json["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["id"] as? Int == 42)
        let get = try FMDBRunner.run(["get", store, "42"])
        #expect(get.status == 1)
        #expect(get.stderr.contains("damaged"))
        #expect(try FMDBRunner.run(["get", store, "1", "--json"]).json()["vector"] as? [Double] == [1, 2, 3, 4])
        // searches skip the damaged record and say so, graph and exhaustive alike
        for method in [[String](), ["--exact"]] {
            let search = try FMDBRunner.run(["search", store, "--id", "1", "--k", "2", "--json"] + method)
            #expect(search.status == 0, "\(search.stderr)")
            let line = try search.json()
            #expect(line["ids"] as? [Int] == [1])
            #expect(line["skipped_damaged"] as? [Int] == [42])
            #expect(search.stderr.contains("skipped damaged records of ids 42"))
        }
    }

    @Test func aFileThatIsNotAStoreIsRefusedClearly() throws {
        let store = temp.path("s")
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        try Data(repeating: 0xAB, count: 16_384).write(to: URL(fileURLWithPath: store + "/data.mdb"))
        let result = try FMDBRunner.run(["info", store])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: mdb_env_open"))
        #expect(result.stderr.contains("MDB_INVALID"))
    }
}
