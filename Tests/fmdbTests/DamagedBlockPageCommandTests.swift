import FeatureMemory
import Foundation
import Testing

/// Random bytes over a page inside a block of vector records (an overflow page past the block's
/// first, which has no page header for the page walk to check): the records' own checksums find
/// the damage. Commands that read those records fail clearly or skip them; every other id still
/// answers; `verify` names the damaged ids; nothing exits by a signal.
@Suite struct DamagedBlockPageCommandTests {
    let temp: TemporaryDirectory
    let store: String
    let vectors: [[Float]]
    let pageSize = 4096
    /// 32 float32 values: 55 records to a block of two pages.
    static let dimension = 32

    init() throws {
        temp = try TemporaryDirectory()
        (store, vectors) = try DamagedStoreCommandTests.importRandomVectors(into: temp, dimension: Self.dimension, seed: 12)
    }

    var dataFile: URL { URL(fileURLWithPath: store + "/data.mdb") }

    /// The first id whose floats lie on an overflow page without a header (its first eight bytes
    /// are not its own page number), and that page.
    func idOnAHeaderlessPage() throws -> (id: Int, page: Int) {
        let file = [UInt8](try Data(contentsOf: dataFile))
        for (id, vector) in vectors.enumerated() {
            guard let offset = DamagedStoreCommandTests.offset(of: vector, in: file) else { continue }
            let page = offset / pageSize
            // the record must lie on the page whole, past where a header would be
            guard offset % pageSize >= 16, (offset + 4 * vector.count - 1) / pageSize == page else { continue }
            let number = file[(page * pageSize)..<(page * pageSize + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            if number != UInt64(page) { return (id, page) }
        }
        throw CLIFailure(message: "no vector lies on a headerless overflow page: the store does not use blocks")
    }

    struct CLIFailure: Error { var message: String }

    @Test func theDamagedIdsFailClearlyAndTheOthersStillAnswer() throws {
        let (damagedID, page) = try idOnAHeaderlessPage()
        var random = SeededGenerator(seed: 9)
        let handle = try FileHandle(forWritingTo: dataFile)
        try handle.seek(toOffset: UInt64(page * pageSize))
        handle.write(Data((0..<pageSize).map { _ in UInt8(truncatingIfNeeded: random.next()) }))
        try handle.close()

        let verify = try FMDBRunner.run(["verify", store, "--json"])
        #expect(verify.status == 2, "\(verify.stderr)")
        let problems = try #require(try verify.json()["problems"] as? [[String: Any]])
        let damaged = Set(problems.filter { $0["kind"] as? String == "corrupt_vector" }.compactMap { $0["id"] as? Int })
        #expect(damaged.contains(damagedID))
        // one page of a two-page block: at most the records that touch it
        #expect(damaged.count <= 55)

        let get = try FMDBRunner.run(["get", store, "\(damagedID)"])
        #expect(get.status == 1)
        #expect(get.stderr.contains("damaged"), "\(get.stderr)")

        let intact = try #require((0..<vectors.count).first { !damaged.contains($0) })
        let answered = try FMDBRunner.run(["get", store, "\(intact)"])
        #expect(answered.status == 0, "\(answered.stderr)")
        let search = try FMDBRunner.run(["search", store, "--id", "\(intact)", "--k", "1", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(try search.json()["ids"] as? [Int] == [intact])

        for command in [["info", store], ["stats", store], ["ls", store], ["export", store, temp.path("out.fvecs")],
                        ["search", store, "--queries", temp.path("few.fvecs"), "--exact"],
                        ["search", store, "--queries", temp.path("few.fvecs")]] {
            let result = try FMDBRunner.run(command)
            // 0, or 1 with the damage named; a signal would be another status
            #expect([0, 1].contains(result.status), "\(command): \(result.status) \(result.stderr)")
            if result.status != 0 { #expect(result.stderr.contains("damaged"), "\(command): \(result.stderr)") }
        }

        // deleting the damaged ids (repair's advice) leaves a store that verifies clean
        for id in damaged.sorted() {
            let removed = try FMDBRunner.run(["rm", store, "\(id)"])
            #expect(removed.status == 0, "\(removed.stderr)")
        }
        let after = try FMDBRunner.run(["verify", store])
        #expect(after.status == 0, "\(after.stdout) \(after.stderr)")
    }
}
