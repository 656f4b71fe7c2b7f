import FeatureMemory
import Foundation
import Testing

/// A small tmpfs this process may mount, to run a store out of disk space for real.
enum SmallFilesystem {
    /// Whether this process can mount a tmpfs (root with CAP_SYS_ADMIN, outside most containers).
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("fm-tmpfs-probe-\(UUID().uuidString)").path
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) else { return false }
        return run("/bin/umount", [probe])
    }()

    /// Mounts a tmpfs of `bytes` on `path`.
    static func mount(_ path: String, bytes: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path]), "mount tmpfs on \(path)")
    }

    static func unmount(_ path: String) { _ = run("/bin/umount", [path]) }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// A store on a filesystem that fills up: the write that does not fit fails with a clear error
/// and changes nothing, everything acknowledged before stays, and writes go on once there is room.
@Suite(.serialized) struct DiskFullTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// `count` rows of 64 random values with ids from `firstID`, as JSON lines.
    func batch(_ name: String, firstID: Int, count: Int) throws -> String {
        var random = SeededGenerator(seed: UInt64(firstID + 1))
        var lines: [String] = []
        for id in firstID..<(firstID + count) {
            let values = (0..<64).map { _ in String(Double.random(in: -0.5..<0.5, using: &random)) }
            lines.append("{\"id\":\(id),\"vector\":[\(values.joined(separator: ","))]}")
        }
        let path = temp.path(name)
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: SmallFilesystem.canMount, "skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the disk-full test needs a small filesystem of its own"))
    func aFullDiskFailsTheWriteCleanlyAndLosesNothing() throws {
        let mountPoint = temp.path("small")
        try SmallFilesystem.mount(mountPoint, bytes: 3 << 20)
        defer { SmallFilesystem.unmount(mountPoint) }
        let store = mountPoint + "/store"
        // a filler file holds back 512 KiB, to be freed once the disk is full
        try Data(repeating: 1, count: 512 << 10).write(to: URL(fileURLWithPath: mountPoint + "/filler"))

        try FMDBRunner.run(["create", store, "--dim", "64", "--m", "8", "--ef-construction", "32"])
        var acknowledged = 0
        var failure: FMDBRunner.Result?
        for round in 0..<60 {
            let file = try batch("b\(round)", firstID: round * 300, count: 300)
            let result = try FMDBRunner.run(["import", store, file, "--format", "jsonl", "--batch-size", "300"])
            if result.status != 0 {
                failure = result
                break
            }
            acknowledged += 300
        }
        let full = try #require(failure, "the store never filled the 3 MiB filesystem")
        #expect(full.status == 1)
        #expect(full.stderr.contains("the disk is full"), "\(full.stderr)")
        // each import is one batch into an existing store: the failed one committed nothing
        #expect(full.stderr.hasSuffix("; no row was committed: the store is as it was\n"), "\(full.stderr)")
        #expect(acknowledged > 0)

        // everything acknowledged is there, the failed batch is not, and the store verifies
        let verify = try FMDBRunner.run(["verify", store])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int == acknowledged)
        #expect(try FMDBRunner.run(["get", store, "\(acknowledged - 1)"]).status == 0)
        #expect(try FMDBRunner.run(["get", store, "\(acknowledged)"]).status == 1)

        // with room again, writes go on
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        let file = try batch("after", firstID: acknowledged, count: 50)
        let resumed = try FMDBRunner.run(["import", store, file, "--format", "jsonl", "--batch-size", "50"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int == acknowledged + 50)
        #expect(try FMDBRunner.run(["verify", store]).status == 0)
    }

    /// One import of many batches that runs out of disk partway says exactly which rows (a prefix
    /// of the file) are committed, in its message and its JSON, and the store holds exactly those.
    @Test(.enabled(if: SmallFilesystem.canMount, "skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"))
    func anImportThatFillsTheDiskSaysWhichRowsAreCommitted() throws {
        let mountPoint = temp.path("small")
        try SmallFilesystem.mount(mountPoint, bytes: 3 << 20)
        defer { SmallFilesystem.unmount(mountPoint) }
        let store = mountPoint + "/store"
        try FMDBRunner.run(["create", store, "--dim", "64", "--m", "8", "--ef-construction", "32"])
        // the file lives outside the small filesystem; 20,000 rows of 64 floats do not fit in 3 MiB
        let file = try batch("all", firstID: 0, count: 20_000)
        let stripped = temp.path("rows.jsonl")
        // without ids, so rows get --first-id + row
        let rows = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map { line in
            String(line[line.range(of: "[")!.lowerBound..<line.range(of: "]", options: .backwards)!.upperBound])
        }
        try rows.joined(separator: "\n").write(toFile: stripped, atomically: true, encoding: .utf8)
        let result = try FMDBRunner.run(["import", store, stripped, "--batch-size", "500", "--first-id", "7", "--json"])
        #expect(result.status == 1)
        let committed = try #require(try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int)
        #expect(committed > 0 && committed < 20_000 && committed % 500 == 0, "\(committed)")
        #expect(result.stderr.hasPrefix("Error: import stopped at row \(committed): the disk is full"), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("; rows 0…\(committed - 1) are committed (ids 7…\(committed + 6)); rows \(committed)…19999 are not\n"), "\(result.stderr)")
        let json = try result.json()
        #expect(json["committed_rows"] as? Int == committed)
        #expect(json["last_committed_id"] as? Int == committed + 6)
        #expect(try FMDBRunner.run(["get", store, "\(committed + 6)"]).status == 0)
        #expect(try FMDBRunner.run(["get", store, "\(committed + 7)"]).status == 1)
        #expect(try FMDBRunner.run(["verify", store]).status == 0)
    }

    /// The same, in one process that keeps the store open: the failed write throws the typed
    /// error, and the open store takes writes again once there is room.
    @Test(.enabled(if: SmallFilesystem.canMount, "skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"))
    func anOpenStoreThrowsDiskFullAndWritesOnOnceThereIsRoom() throws {
        let mountPoint = temp.path("small")
        try SmallFilesystem.mount(mountPoint, bytes: 2 << 20)
        defer { SmallFilesystem.unmount(mountPoint) }
        try Data(repeating: 1, count: 512 << 10).write(to: URL(fileURLWithPath: mountPoint + "/filler"))
        let store = try FeatureStore(at: URL(fileURLWithPath: mountPoint + "/store"), options: .init(
            dimension: 32, metric: .l2, hnsw: HNSWParameters(m: 8, efConstruction: 32), durability: .full))
        var random = SeededGenerator(seed: 3)
        func vector() -> [Float] {
            (0..<32).map { _ in Float.random(in: 0..<1, using: &random) }
        }
        var acknowledged: UInt64 = 0
        var thrown: Error?
        for _ in 0..<200 {
            let items = (0..<100).map { VectorItem(id: acknowledged + UInt64($0), vector: vector()) }
            do {
                try store.put(items)
                acknowledged += 100
            } catch {
                thrown = error
                break
            }
        }
        let error = try #require(thrown as? StoreError, "expected a StoreError, got \(String(describing: thrown))")
        guard case .diskFull = error else {
            Issue.record("expected diskFull, got \(error)")
            return
        }
        #expect(try store.count() == Int(acknowledged))
        #expect(try store.contains(acknowledged) == false)
        let afterFailure = try store.verify()
        #expect(afterFailure.isClean, "\(afterFailure.problems.prefix(5))")
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        try store.put(vector(), for: acknowledged)
        #expect(try store.count() == Int(acknowledged) + 1)
        #expect(try store.verify().isClean)
    }
}
