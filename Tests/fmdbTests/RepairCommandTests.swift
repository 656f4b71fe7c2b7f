import Foundation
import Testing
@testable import FeatureMemory

/// `fmdb verify --repair` on a store whose graph records were damaged in the file.
@Suite struct RepairCommandTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func aDamagedGraphRecordIsRelinkedAndTheStoreVerifiesClean() throws {
        let path = temp.path("s")
        let dimension = 12
        var vectors: [[Float]] = []
        var random = SeededGenerator(seed: 99)
        for _ in 0..<300 {
            vectors.append((0..<dimension).map { _ in Float.random(in: 0...2, using: &random) })
        }
        let victims: [UInt64] = [7, 150]
        var records: [[UInt8]] = []
        do {
            let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(
                dimension: dimension, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 64)))
            try store.put(vectors.enumerated().map { VectorItem(id: UInt64($0.offset), vector: $0.element) })
            for id in victims {
                records.append(try store.read { txn in
                    let node = try #require(try txn.node(for: id))
                    return GraphRecord.encode(try #require(try txn.mapNodes.decodedNode(node)))
                })
            }
        }
        // flip a byte of each record wherever it lies in the file, as a failing disk would
        let dataFile = URL(fileURLWithPath: path + "/data.mdb")
        var file = [UInt8](try Data(contentsOf: dataFile))
        for record in records {
            let found = (0...(file.count - record.count)).filter { file[$0] == record[0] && Array(file[$0..<($0 + record.count)]) == record }
            #expect(!found.isEmpty)
            for start in found { file[start + record.count - 3] ^= 0x5A }
        }
        try Data(file).write(to: dataFile)

        let damaged = try FMDBRunner.run(["verify", path])
        #expect(damaged.status == 2)
        #expect(damaged.stdout.contains("corrupt_graph id 7"))
        #expect(damaged.stdout.contains("corrupt_graph id 150"))

        let repaired = try FMDBRunner.run(["verify", path, "--repair", "--json"])
        #expect(repaired.status == 0, "\(repaired.stdout)\(repaired.stderr)")
        let json = try repaired.json()
        #expect(json["clean"] as? Bool == true)
        #expect((json["repair"] as? [String: Any])?["relinked_ids"] as? [Int] == [7, 150], "\(repaired.stdout)")

        #expect(try FMDBRunner.run(["verify", path]).status == 0)
        for id in victims {
            let search = try FMDBRunner.run(["search", path, "--id", "\(id)", "--k", "1", "--json"])
            #expect(try search.json()["ids"] as? [Int] == [Int(id)])
        }
        #expect(try FMDBRunner.run(["info", path, "--json"]).json()["count"] as? Int == 300)
    }

    @Test func repairOnACleanStoreChangesNothing() throws {
        let path = temp.path("s")
        try FMDBRunner.run(["create", path, "--dim", "2"])
        try FMDBRunner.run(["put", path, "1", "--vector", "1,2"])
        let result = try FMDBRunner.run(["verify", path, "--repair"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("clean:"))
    }
}
