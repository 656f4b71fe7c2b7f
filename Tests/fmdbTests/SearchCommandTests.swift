import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

@Suite struct SearchCommandTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// The `k` nearest rows of `base` to `query` by squared L2, computed in Double.
    func bruteForce(_ query: [Float], _ base: [[Float]], k: Int) -> [Int] {
        let distances = base.map { row in zip(row, query).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } }
        return Array(distances.indices.sorted { (distances[$0], $0) < (distances[$1], $1) }.prefix(k))
    }

    @Test func exactSearchJSONLinesMatchBruteForce() throws {
        var random = SeededGenerator(seed: 11)
        let base = random.vectors(300, dimension: 24)
        let queries = random.vectors(12, dimension: 24)
        let baseFile = temp.path("base.fvecs"), queryFile = temp.path("query.fvecs")
        for (file, rows) in [(baseFile, base), (queryFile, queries)] {
            let writer = try VectorFileWriter(path: file, format: .fvecs, dimension: 24, rowCount: rows.count)
            for row in rows { try writer.write(row) }
            try writer.finish()
        }
        let store = temp.path("s")
        #expect(try FMDBRunner.run(["import", store, baseFile]).status == 0)
        let result = try FMDBRunner.run(["search", store, "--queries", queryFile, "--k", "7", "--exact", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.count == queries.count)
        for (index, line) in result.lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["query"] as? Int == index)
            let ids = try #require(object["ids"] as? [Int])
            let distances = try #require(object["distances"] as? [Double])
            #expect(ids == bruteForce(queries[index], base, k: 7))
            #expect(distances == distances.sorted())
            #expect(distances.count == 7)
        }
        #expect(result.stderr.contains("queries/s"))
    }

    /// A run of a few queries opens the store without cache or warm start; each of its answers, ids
    /// and distances, is the one a run of many queries (cached, warm-started) gives.
    @Test func fewQueriesAnswerAsManyDo() throws {
        var random = SeededGenerator(seed: 12)
        let base = random.vectors(2_000, dimension: 16)
        let queries = random.vectors(FMDB.Search.warmStartQueries + 8, dimension: 16)
        let baseFile = temp.path("base.fvecs"), manyFile = temp.path("many.fvecs")
        for (file, rows) in [(baseFile, base), (manyFile, queries)] {
            let writer = try VectorFileWriter(path: file, format: .fvecs, dimension: 16, rowCount: rows.count)
            for row in rows { try writer.write(row) }
            try writer.finish()
        }
        let store = temp.path("s")
        #expect(try FMDBRunner.run(["import", store, baseFile, "--m", "6", "--ef-construction", "16"]).status == 0)
        let many = try FMDBRunner.run(["search", store, "--queries", manyFile, "--k", "5", "--ef", "8", "--json"])
        #expect(many.status == 0, "\(many.stderr)")
        #expect(many.lines.count == queries.count)
        for index in [0, 3, FMDB.Search.warmStartQueries + 7] {
            let oneFile = temp.path("one-\(index).fvecs")
            let writer = try VectorFileWriter(path: oneFile, format: .fvecs, dimension: 16, rowCount: 1)
            try writer.write(queries[index])
            try writer.finish()
            let one = try FMDBRunner.run(["search", store, "--queries", oneFile, "--k", "5", "--ef", "8", "--json"])
            #expect(one.status == 0, "\(one.stderr)")
            let expected = many.lines[index].replacingOccurrences(of: "\"query\":\(index)", with: "\"query\":0")
            #expect(one.lines == [expected])
        }
    }

    @Test func searchByStoredIdFindsItselfFirst() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "2"])
        for (id, vector) in [(1, "0,0"), (2, "5,5"), (3, "0.1,0")] {
            try FMDBRunner.run(["put", store, "\(id)", "--vector", vector])
        }
        let result = try FMDBRunner.run(["search", store, "--id", "1", "--k", "2", "--json"])
        let object = try result.json()
        #expect(object["ids"] as? [Int] == [1, 3])
        #expect(object["query_id"] as? Int == 1)
    }

    @Test func searchArgumentsAreChecked() throws {
        let store = temp.path("s")
        try FMDBRunner.run(["create", store, "--dim", "2"])
        #expect(try FMDBRunner.run(["search", store]).status == 64)
        #expect(try FMDBRunner.run(["search", store, "--id", "1", "--k", "0"]).status == 64)
        let unknown = try FMDBRunner.run(["search", store, "--id", "1"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "Error: no vector with id 1\n")
    }
}
