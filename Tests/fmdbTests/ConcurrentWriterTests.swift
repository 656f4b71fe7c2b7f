import FeatureMemory
import Foundation
import Testing

/// Writers in several processes on one store, the store new when they start.
@Suite struct ConcurrentWriterTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func twoImportsIntoANewStoreCreateItOnceAndBuildOneGraph() throws {
        var random = SeededGenerator(seed: 21)
        let halves = [random.vectors(1_000, dimension: 24), random.vectors(1_000, dimension: 24)]
        let files = try [temp.fvecs(halves[0], name: "a.fvecs"), temp.fvecs(halves[1], name: "b.fvecs")]
        let store = temp.path("new")
        let binary = try #require(FMDBRunner.binary)
        let children = try (0..<2).map { side -> Process in
            let child = Process()
            child.executableURL = binary
            child.arguments = ["import", store, files[side], "--first-id", "\(side * 1_000)", "--batch-size", "250", "--metric", "cosine"]
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            return child
        }
        for child in children {
            child.waitUntilExit()
            #expect(child.terminationStatus == 0)
        }
        let verify = try FMDBRunner.run(["verify", store])
        #expect(verify.status == 0, "\(verify.stdout)")
        let opened = try FeatureStore(at: URL(fileURLWithPath: store), options: .init(createIfMissing: false))
        #expect(try opened.count() == 2_000)
        var missed: [Int] = []
        for (side, vectors) in halves.enumerated() {
            for (row, vector) in vectors.enumerated() where try opened.nearest(to: vector, count: 1).first?.id != UInt64(side * 1_000 + row) {
                missed.append(side * 1_000 + row)
            }
        }
        #expect(missed.isEmpty, "ids no search finds: \(missed.count), first \(missed.prefix(5))")
    }

    @Test func reimportingAFileLeavesTheGraphWholeAndEveryIDFound() throws {
        var random = SeededGenerator(seed: 22)
        let vectors = random.vectors(1_500, dimension: 24)
        let file = try temp.fvecs(vectors, name: "in.fvecs")
        let store = temp.path("s")
        for batchSize in ["100", "1000", "100"] {
            let result = try FMDBRunner.run(["import", store, file, "--batch-size", batchSize])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let verify = try FMDBRunner.run(["verify", store])
        #expect(verify.status == 0, "\(verify.stdout)")
        let search = try FMDBRunner.run(["search", store, "--queries", file, "--k", "1", "--json"])
        let found = search.lines.compactMap { line -> Int? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["ids"] as? [Int])?.first
        }
        #expect(found == Array(0..<1_500))
    }

    @Test func aJSONLinesBatchNamingAnIDRepeatedlyKeepsItsLastRowOnce() throws {
        var random = SeededGenerator(seed: 23)
        let vectors = random.vectors(64, dimension: 8)
        var text = ""
        for (row, vector) in vectors.enumerated() {
            text += "{\"id\": \(row % 5), \"vector\": [\(vector.map { "\($0)" }.joined(separator: ","))]}\n"
        }
        let file = temp.path("dup.jsonl"), store = temp.path("s")
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try FMDBRunner.run(["import", store, file]).status == 0)
        #expect(try FMDBRunner.run(["verify", store]).status == 0)
        let search = try FMDBRunner.run(["search", store, "--id", "0", "--k", "5", "--json"]).json()
        #expect((search["ids"] as? [Int])?.sorted() == [0, 1, 2, 3, 4])
        let stored = try FMDBRunner.run(["get", store, "3", "--json"]).json()
        let last = try #require((0..<64).last { $0 % 5 == 3 })
        let printed = try #require(stored["vector"] as? [Double])
        #expect(zip(printed, vectors[last]).allSatisfy { abs(Float($0) - $1) < 1e-5 })
    }
}
