import FeatureMemory
import Foundation
import Testing

/// Every command on a damaged store exits 1 or 2, never by a signal, and says what is damaged and
/// what to do.
@Suite struct DamagedStoreCommandTests {
    let temp: TemporaryDirectory
    let store: String
    let vectors: [[Float]]
    let pageSize = 4096
    /// One record per key (`VectorBlock.slots`), so every vector sits on a leaf page that the page
    /// walk checks; damage inside a block of records is `DamagedBlockPageCommandTests`'.
    static let dimension = 31
    init() throws {
        temp = try TemporaryDirectory()
        (store, vectors) = try Self.importRandomVectors(into: temp, dimension: Self.dimension, seed: 11)
        // ground truth for bench: the first 5 vectors are their own nearest neighbours
        var truth = Data()
        for i in 0..<5 { for value in [Int32(1), Int32(i)] { withUnsafeBytes(of: value.littleEndian) { truth.append(contentsOf: $0) } } }
        try truth.write(to: URL(fileURLWithPath: temp.path("truth.ivecs")))
    }

    /// 600 random vectors of `dimension` values written to `temp`'s base.fvecs (the first 5 also
    /// to few.fvecs) and imported into its store "s": the store's path and the vectors.
    static func importRandomVectors(into temp: TemporaryDirectory, dimension: Int, seed: UInt64) throws -> (store: String, vectors: [[Float]]) {
        let store = temp.path("s")
        var random = SeededGenerator(seed: seed)
        let vectors = random.vectors(600, dimension: dimension)
        try writeVectors(vectors, to: temp.path("base.fvecs"))
        try writeVectors(Array(vectors.prefix(5)), to: temp.path("few.fvecs"))
        let imported = try FMDBRunner.run(["import", store, temp.path("base.fvecs"), "--ef-construction", "40"])
        #expect(imported.status == 0, "\(imported.stderr)")
        return (store, vectors)
    }

    static func writeVectors(_ vectors: [[Float]], to path: String) throws {
        var data = Data()
        for vector in vectors {
            withUnsafeBytes(of: Int32(vector.count).littleEndian) { data.append(contentsOf: $0) }
            for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    var dataFile: URL { URL(fileURLWithPath: store + "/data.mdb") }

    /// Every command that reads a store, each with what it needs.
    var commands: [[String]] {
        [["info", store], ["stats", store], ["ls", store], ["get", store, "7"], ["search", store, "--id", "7"],
         ["search", store, "--queries", temp.path("few.fvecs"), "--exact"],
         ["export", store, temp.path("out.fvecs")], ["verify", store], ["verify", store, "--repair"],
         ["backup", store, temp.path("copy")], ["import", store, temp.path("few.fvecs"), "--first-id", "5000"],
         ["put", store, "9999", "--vector", Array(repeating: "0.5", count: Self.dimension).joined(separator: ",")],
         ["rm", store, "3"],
         ["bench", store, "--queries", temp.path("few.fvecs"), "--truth", temp.path("truth.ivecs"), "--k", "1", "--ef", "16"]]
    }

    func expectEveryCommandFailsClearly(naming text: String) throws {
        for command in commands {
            let result = try FMDBRunner.run(command)
            let verify = command[0] == "verify"
            #expect(result.status == (verify ? 2 : 1), "\(command): \(result.status) \(result.stderr)")
            let said = result.stdout + result.stderr
            #expect(said.contains(text), "\(command): \(said)")
            #expect(said.contains("salvage"), "\(command): \(said)")
        }
    }

    /// The page holding the record of vector `index` (its floats appear once in the file).
    func page(holding index: Int) throws -> Int {
        try #require(Self.offset(of: vectors[index], in: [UInt8](try Data(contentsOf: dataFile)))) / pageSize
    }

    /// Where `vector`'s float32 values (little-endian) first appear in `file`.
    static func offset(of vector: [Float], in file: [UInt8]) -> Int? {
        let needle = vector.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        guard file.count >= needle.count, let first = needle.first else { return nil }
        return (0...(file.count - needle.count)).first { file[$0] == first && Array(file[$0..<($0 + needle.count)]) == needle }
    }

    func overwrite(page: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: dataFile)
        try handle.seek(toOffset: UInt64(page * pageSize))
        handle.write(Data(bytes))
        try handle.close()
    }

    @Test func aTruncatedDataFileFailsEveryCommandClearly() throws {
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dataFile.path)[.size] as? Int)
        try FileHandle(forWritingTo: dataFile).truncate(atOffset: UInt64(size * 2 / 3))
        try expectEveryCommandFailsClearly(naming: "truncated")
    }

    @Test func aZeroedPageFailsEveryCommandClearly() throws {
        let page = try page(holding: 300)
        try overwrite(page: page, with: [UInt8](repeating: 0, count: pageSize))
        try expectEveryCommandFailsClearly(naming: "page \(page) (table vectors)")
    }

    @Test func aRandomPageFailsEveryCommandClearly() throws {
        let page = try page(holding: 450)
        var random = SeededGenerator(seed: 5)
        try overwrite(page: page, with: (0..<pageSize).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        try expectEveryCommandFailsClearly(naming: "page \(page) (table vectors)")
    }

    @Test func salvageCopiesEveryVectorOfTheIntactPagesIntoAStoreThatVerifiesAndSearches() throws {
        let page = try page(holding: 300)
        try overwrite(page: page, with: [UInt8](repeating: 0, count: pageSize))
        let salvaged = temp.path("salvaged")
        let result = try FMDBRunner.run(["salvage", store, salvaged, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try result.json()["report"] as? [String: Any])
        let lost = try #require(report["lost_ids"] as? [Int])
        #expect(lost.contains(300))
        #expect(lost.count < 30)
        #expect(report["recovered"] as? Int == vectors.count - lost.count)
        #expect(try FMDBRunner.run(["verify", salvaged]).status == 0)
        for id in [0, 299, 301, 599] where !lost.contains(id) {
            let search = try FMDBRunner.run(["search", salvaged, "--id", "\(id)", "--k", "1", "--json"])
            #expect(try search.json()["ids"] as? [Int] == [id])
        }
        // a second salvage into the same, now full, directory is refused and changes nothing
        let again = try FMDBRunner.run(["salvage", store, salvaged])
        #expect(again.status == 1)
        #expect(again.stderr.contains("not an empty directory"))
        #expect(try FMDBRunner.run(["verify", salvaged]).status == 0)
    }

    @Test func verifyListsThePageDamageAsJSON() throws {
        let page = try page(holding: 100)
        try overwrite(page: page, with: [UInt8](repeating: 0, count: pageSize))
        let result = try FMDBRunner.run(["verify", store, "--json"])
        #expect(result.status == 2)
        let problems = try #require(try result.json()["problems"] as? [[String: Any]])
        #expect(problems.first?["kind"] as? String == "damaged_page")
        #expect((problems.first?["message"] as? String)?.hasPrefix("page \(page) (table vectors)") == true)
    }
}
