import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// `fmdb bench --plot`: a chart with a curve per run or peer, written only when everything was
/// measured; a bad peer file is an error before anything is measured, and no file is written.
struct BenchPlotTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// A store of 200 random vectors and a query file of 20 of them with their exact truth.
    func measuredStore() throws -> (store: String, queries: String, truth: String) {
        var random = SeededGenerator(seed: 0x9107)
        let vectors = random.vectors(200, dimension: 8)
        let base = try temp.fvecs(vectors, name: "base.fvecs")
        let store = temp.path("s")
        try #require(try FMDBRunner.run(["import", store, base, "--metric", "l2"]).status == 0)
        let queries = Array(vectors.prefix(20))
        let truth = queries.map { query in
            vectors.indices.sorted { a, b in
                let da = zip(query, vectors[a]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                let db = zip(query, vectors[b]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                return (da, a) < (db, b)
            }.prefix(10).map(Int32.init)
        }
        try IVecsFile.write(truth, to: OutputFile(path: temp.path("truth.ivecs")))
        return (store, try temp.fvecs(queries, name: "queries.fvecs"), temp.path("truth.ivecs"))
    }

    @Test func theChartHasACurvePerSeriesAndAPointPerEf() throws {
        let (store, queries, truth) = try measuredStore()
        let peer = temp.path("peer.jsonl")
        try """
        {"build_rows_per_s": 1000.0, "threads": 1}
        {"ef": 16, "recall": 0.9, "qps": 1200.5, "passes": 1, "seconds": 1.0}
        {"ef": 32, "recall": 0.97, "qps": 800.0, "passes": 1, "seconds": 1.0}
        {"ef": 64, "recall": 0.99, "qps": 500.0}
        not json
        """.write(toFile: peer, atomically: true, encoding: .utf8)
        let chart = temp.path("chart.svg")
        let result = try FMDBRunner.run([
            "bench", store, "--queries", queries, "--truth", truth, "--ef", "8,16,32", "--json",
            "--plot", chart, "--plot-name", "fm <test>", "--plot-series", "hnswlib=\(peer)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        // one document, every element closed, names escaped
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<g ").count == svg.components(separatedBy: "</g>").count)
        #expect(svg.components(separatedBy: "<circle").count == svg.components(separatedBy: "</circle>").count)
        #expect(svg.contains("fm &lt;test&gt;"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 6)
        for ef in [8, 16, 32] { #expect(svg.contains("fm &lt;test&gt;: ef \(ef),")) }
        #expect(svg.contains("hnswlib: ef 64, recall 0.9900, 500.0 QPS"))
    }

    @Test func aPeerFileWithoutPointsIsAnErrorBeforeMeasuring() throws {
        let (store, queries, truth) = try measuredStore()
        let empty = temp.path("empty.jsonl")
        try "{\"ef\": 16, \"recall\": 2.5, \"qps\": 10}\n{}\n".write(toFile: empty, atomically: true, encoding: .utf8)
        let chart = temp.path("chart.svg")
        for series in ["x=\(empty)", "x=\(temp.path("missing.jsonl"))", "=\(empty)", "noequals"] {
            let result = try FMDBRunner.run(["bench", store, "--queries", queries, "--truth", truth, "--plot", chart, "--plot-series", series])
            #expect(result.status != 0, "\(series)")
            #expect(result.stderr.hasPrefix("Error:"), "\(series): \(result.stderr)")
            #expect(!result.stdout.contains("recall"), "nothing measured for \(series)")
            #expect(!FileManager.default.fileExists(atPath: chart))
        }
        let orphan = try FMDBRunner.run(["bench", store, "--queries", queries, "--truth", truth, "--plot-series", "x=\(empty)"])
        #expect(orphan.stderr.contains("--plot-series needs --plot FILE"))
    }
}
