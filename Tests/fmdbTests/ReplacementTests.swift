import FeatureMemory
import Foundation
import Testing

/// Compaction and backup replace or create a store's data file: no opener sees a half-swapped
/// store, nothing committed is lost, and a killed copy leaves nothing that looks like a store.
@Suite struct ReplacementTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// Compactions in one thread, imports (each a new process that opens the store, often while
    /// a compaction swaps it) in another: every acknowledged row is kept.
    @Test func compactionsBesideImportsLoseNothing() throws {
        var random = SeededGenerator(seed: 31)
        let store = temp.path("s")
        let base = try temp.fvecs(random.vectors(1_000, dimension: 16), name: "base.fvecs")
        #expect(try FMDBRunner.run(["import", store, base]).status == 0)
        let rows = try temp.fvecs(random.vectors(10, dimension: 16), name: "rows.fvecs")
        let binary = try #require(FMDBRunner.binary)
        let compactions = 60, imports = 60
        let compacted = ParallelCounter()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for _ in 0..<compactions {
                let child = Process()
                child.executableURL = binary
                child.arguments = ["compact", store]
                child.standardOutput = FileHandle.nullDevice
                child.standardError = FileHandle.nullDevice
                if (try? child.run()) != nil {
                    child.waitUntilExit()
                    if child.terminationStatus == 0 { compacted.add() }
                }
            }
            done.signal()
        }
        var acknowledged: [Int] = []
        for round in 0..<imports {
            let first = 10_000 + round * 10
            let result = try FMDBRunner.run(["import", store, rows, "--first-id", "\(first)", "--json"])
            if result.status == 0 {
                acknowledged.append(first)
                // the store an import saw holds every row acknowledged so far
                #expect(try result.json()["count"] as? Int == 1_000 + 10 * acknowledged.count)
            }
        }
        done.wait()
        #expect(acknowledged.count == imports)
        #expect(compacted.value > 0, "no compaction ran between the imports; the test proved nothing")
        let info = try FMDBRunner.run(["info", store, "--json"]).json()
        #expect(info["count"] as? Int == 1_000 + 10 * acknowledged.count)
        let verify = try FMDBRunner.run(["verify", store])
        #expect(verify.status == 0, "\(verify.stdout)")
        let listed = Set(try FMDBRunner.run(["ls", store, "--from", "10000"]).lines.compactMap { Int($0) })
        #expect(listed == Set(acknowledged.flatMap { $0..<($0 + 10) }))
    }

    @Test func aKilledBackupLeavesNoStoreAndTheNextBackupCleansUp() throws {
        var random = SeededGenerator(seed: 32)
        let store = temp.path("s")
        let base = try temp.fvecs(random.vectors(4_000, dimension: 64), name: "base.fvecs")
        #expect(try FMDBRunner.run(["import", store, base, "--m", "4", "--ef-construction", "8"]).status == 0)
        let binary = try #require(FMDBRunner.binary)
        for attempt in 0..<6 {
            let destination = temp.path("copy-\(attempt)")
            let child = Process()
            child.executableURL = binary
            child.arguments = ["backup", store, destination, "--no-compact"]
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            usleep(useconds_t(attempt * 4_000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []
            if entries.contains("data.mdb") {
                // the copy finished before the kill: it is whole
                let copy = try FeatureStore(at: URL(fileURLWithPath: destination), options: .init(createIfMissing: false))
                #expect(try copy.count() == 4_000)
                #expect(try copy.verify().isClean)
            } else {
                #expect(entries.allSatisfy { $0.hasPrefix(".fm-partial-") }, "\(entries)")
                #expect(throws: StoreError.storeNotFound(path: destination)) {
                    _ = try FeatureStore(at: URL(fileURLWithPath: destination), options: .init(createIfMissing: false))
                }
                let again = try FMDBRunner.run(["backup", store, destination])
                #expect(again.status == 0, "\(again.stderr)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["data.mdb"])
            }
        }
    }

    @Test func compactionRemovesWhatAKilledCompactionLeftAndKeepsTheStore() throws {
        let store = temp.path("s")
        #expect(try FMDBRunner.run(["create", store, "--dim", "2"]).status == 0)
        #expect(try FMDBRunner.run(["put", store, "1", "--vector", "1,2"]).status == 0)
        // what a compaction killed while copying leaves: a staged file nobody holds
        let leftover = store + "/.fm-partial-compact-0000"
        try Data(repeating: 7, count: 10_000).write(to: URL(fileURLWithPath: leftover))
        #expect(try FMDBRunner.run(["get", store, "1"]).status == 0)
        let result = try FMDBRunner.run(["compact", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).sorted() == ["data.mdb", "lock.mdb"])
        #expect(try FMDBRunner.run(["get", store, "1"]).status == 0)
        #expect(try FMDBRunner.run(["verify", store]).status == 0)
    }

    @Test func compactionRefusesAStoreOpenInItsOwnProcess() throws {
        let path = temp.path("s")
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: .init(dimension: 2))
        try store.put([1, 2], for: 1)
        #expect(throws: StoreError.self) { _ = try FeatureStore.compact(at: URL(fileURLWithPath: path)) }
        #expect(try store.count() == 1)
    }
}

/// A counter several threads add to.
final class ParallelCounter: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
