import FeatureMemory
import Foundation
import Testing
@testable import fmdb

/// Warm starts in this process beside a writer in another process that grows the map (it starts
/// at 1 MiB) and overwrites and deletes: this process's sweeps read records through the addresses
/// they located, while the other process commits, extends the file and resizes its own map, and
/// this one adopts the larger map between its read transactions. Nothing may fault (a SIGBUS
/// would end this test process), and the store holds exactly the writer's batches.
@Suite(.timeLimit(.minutes(5)))
struct WarmStartProcessTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func warmStartsBesideAWriterProcessThatGrowsTheMapNeverFault() throws {
        let path = temp.path("s")
        let seed: UInt64 = 77, prepared = 30, batches = 100
        // the store, made by the writer itself, so that it has nodes to sweep from the start
        let made = try FMDBRunner.run(["crash-writer", path, "--seed", "\(seed)", "--batches", "\(prepared)", "--durability", "no-sync"])
        #expect(made.status == 0, "\(made.stderr)")
        let binary = try #require(FMDBRunner.binary)
        let child = Process()
        child.executableURL = binary
        child.arguments = ["crash-writer", path, "--seed", "\(seed)", "--from", "\(prepared)", "--batches", "\(batches)", "--durability", "no-sync"]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()

        // this process's map starts at the file's size, so the writer's growth reaches it
        let options = StoreOptions(durability: .noSync, initialMapSize: 1 << 20, createIfMissing: false, cacheBytes: 8 << 20)
        let query = [Float](repeating: 1, count: 8)
        let deadline = Date(timeIntervalSinceNow: 20)
        var openings = 0
        while (child.isRunning || openings < 4) && Date() < deadline {
            let store = try FeatureStore(at: URL(fileURLWithPath: path), options: options)
            // released at once, a few searches in, or after its sweep ended
            for _ in 0..<(openings % 3 * 4) { _ = try store.nearest(to: query, count: 3) }
            if openings % 4 == 3 {
                store.waitForPrefetches()
                _ = try FeatureStore.backup(from: URL(fileURLWithPath: path), to: temp.url.appendingPathComponent("backup-\(openings)"))
            }
            openings += 1
        }
        child.waitUntilExit()
        #expect(child.terminationReason == .exit && child.terminationStatus == 0)

        var state: [UInt64: [Float]] = [:]
        let workload = FMDB.CrashTest.workload(seed: seed)
        for batch in 0..<(prepared + batches) { workload.apply(batch: batch, to: &state) }
        let store = try FeatureStore(at: URL(fileURLWithPath: path), options: options)
        store.waitForPrefetches()
        #expect(try store.count() == state.count)
        for (id, vector) in state {
            if try store.get(id).vector != vector { Issue.record("id \(id) does not hold the writer's last vector") }
        }
        #expect(openings >= 4)
    }
}
