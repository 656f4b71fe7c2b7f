import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// Another process reads the store while this one holds a write transaction open.
@Suite struct MultiProcessTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func aReaderProcessIsNotBlockedAndSeesOnlyCommittedData() throws {
        let path = temp.path("s")
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(dimension: 3))
        try store.put([1, 2, 3], for: 1)
        try store.write { txn in
            try txn.put([4, 5, 6], for: 2)
            try txn.delete(1)
            // the writer holds LMDB's write lock here; the reader must neither wait nor see this
            let info = try FMDBRunner.run(["info", path, "--json"]).json()
            #expect(info["count"] as? Int == 1)
            #expect(try FMDBRunner.run(["get", path, "1"]).status == 0)
            let uncommitted = try FMDBRunner.run(["get", path, "2"])
            #expect(uncommitted.status == 1)
            #expect(uncommitted.stderr == "Error: no vector with id 2\n")
            #expect(try FMDBRunner.run(["verify", path]).status == 0)
            let search = try FMDBRunner.run(["search", path, "--id", "1", "--k", "5", "--json"]).json()
            #expect(search["ids"] as? [Int] == [1])
        }
        #expect(try FMDBRunner.run(["get", path, "2", "--json"]).json()["vector"] as? [Double] == [4, 5, 6])
        #expect(try FMDBRunner.run(["get", path, "1"]).status == 1)
    }

    @Test func writesOfAnotherProcessAreSeenByAnOpenStore() throws {
        let path = temp.path("s")
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(dimension: 2))
        try store.put([1, 1], for: 1)
        #expect(try FMDBRunner.run(["put", path, "2", "--vector", "2,2"]).status == 0)
        #expect(try store.get(2).vector == [2, 2])
        #expect(try store.count() == 2)
        // and the other process sees ours
        try store.put([3, 3], for: 3)
        #expect(try FMDBRunner.run(["ls", path]).lines == ["1", "2", "3"])
    }

    @Test func aMapGrownByAnotherProcessIsAdopted() throws {
        let path = temp.path("s")
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(dimension: 256, initialMapSize: 1 << 20))
        try store.put([Float](repeating: 1, count: 256), for: 0)
        // another process imports far more than the 1 MiB map holds, growing the map
        var random = SeededGenerator(seed: 9)
        let file = temp.path("big.fvecs")
        let writer = try VectorFileWriter(path: file, format: .fvecs, dimension: 256, rowCount: 4000)
        for row in random.vectors(4000, dimension: 256) { try writer.write(row) }
        try writer.finish()
        #expect(try FMDBRunner.run(["import", path, file, "--first-id", "1"]).status == 0)
        // this process must adopt the larger map to read and to write
        #expect(try store.count() == 4001)
        #expect(try store.get(4000).vector.count == 256)
        try store.put([Float](repeating: 2, count: 256), for: 5000)
        #expect(try store.verify().isClean)
    }
}
