import FeatureMemory
import Foundation
import Testing
import VectorFiles

/// `fmdb export` writes a new regular file, and never replaces a device, a FIFO, a link, a
/// directory or a store's file; a write error leaves no partial file.
@Suite struct ExportFileTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// A store of 20 rows of dimension 8.
    func store() throws -> String {
        var random = SeededGenerator(seed: 11)
        let rows = random.vectors(20, dimension: 8).map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }
        let file = temp.path("rows.jsonl")
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let store = temp.path("s")
        let imported = try FMDBRunner.run(["import", store, file])
        try #require(imported.status == 0, "\(imported.stderr)")
        return store
    }

    /// The kind of what is at `path`, without following a link.
    func kind(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    /// The store's data file and count, to show a refused export changed nothing.
    func snapshot(_ store: String) throws -> (Data, Int?) {
        (try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")),
         try FMDBRunner.run(["info", store, "--json"]).json()["count"] as? Int)
    }

    @Test func exportToDevFullFailsAndLeavesTheDevice() throws {
        let store = try store()
        let result = try FMDBRunner.run(["export", store, "/dev/full", "--format", "fvecs"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "Error: /dev/full: refusing to write there: it is a device, which only a regular file may replace; give the path of a regular file or a new one\n")
        #expect(kind("/dev/full") == S_IFCHR)
    }

    @Test(arguments: ["fifo", "link", "directory"])
    func exportOntoWhatIsNotARegularFileIsRefusedAndKeepsIt(_ what: String) throws {
        let store = try store()
        let before = try snapshot(store)
        let target = temp.path("target.jsonl")
        let real = temp.path("real.jsonl")
        try Data("kept\n".utf8).write(to: URL(fileURLWithPath: real))
        let expected: mode_t, description: String
        switch what {
        case "fifo":
            #expect(mkfifo(target, 0o644) == 0)
            (expected, description) = (S_IFIFO, "a FIFO")
        case "link":
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: real)
            (expected, description) = (S_IFLNK, "a symbolic link (it is not followed)")
        default:
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
            (expected, description) = (S_IFDIR, "a directory")
        }
        let result = try FMDBRunner.run(["export", store, target])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(target): refusing to write there: it is \(description), which only a regular file may replace; give the path of a regular file or a new one\n")
        #expect(kind(target) == expected)
        #expect(try Data(contentsOf: URL(fileURLWithPath: real)) == Data("kept\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url.path).sorted() == ["real.jsonl", "rows.jsonl", "s", "target.jsonl"])
        let after = try snapshot(store)
        #expect(after.0 == before.0 && after.1 == before.1)
    }

    @Test(arguments: ["data.mdb", "lock.mdb", "rows.npy"])
    func exportIntoTheStoresOwnDirectoryIsRefused(_ name: String) throws {
        let store = try store()
        let before = try snapshot(store)
        let entries = try FileManager.default.contentsOfDirectory(atPath: store).sorted()
        let result = try FMDBRunner.run(["export", store, store + "/" + name, "--format", "npy"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(store)/\(name): refusing to write there: \(store) is a store's directory; write the file outside it\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).sorted() == entries)
        let after = try snapshot(store)
        #expect(after.0 == before.0 && after.1 == before.1)
        #expect(try FMDBRunner.run(["verify", store]).status == 0)
    }

    @Test func exportOverACopyOfAStoreFileIsRefused() throws {
        let store = try store()
        let copy = temp.path("copy.fvecs")
        try FileManager.default.copyItem(atPath: store + "/data.mdb", toPath: copy)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        let result = try FMDBRunner.run(["export", store, copy])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(copy): refusing to write there: it is an LMDB environment (a store's file); choose another file name\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == bytes)
    }

    @Test func exportReplacesARegularFileWholeAndLeavesNoTemporaryFile() throws {
        let store = try store()
        let target = temp.path("out.jsonl")
        try Data("old contents\n".utf8).write(to: URL(fileURLWithPath: target))
        let result = try FMDBRunner.run(["export", store, target])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try VectorFileReader(path: target).readAll()
        #expect(rows.count == 20)
        #expect(rows.map(\.id) == (0..<20).map { UInt64($0) })
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url.path).sorted() == ["out.jsonl", "rows.jsonl", "s"])
    }

    @Test func exportRemovesWhatAKilledExportLeftBesideIt() throws {
        let store = try store()
        // what an export killed while writing leaves: a staged file nobody holds
        let leftover = temp.path(".fm-partial-export-0000")
        try Data("half".utf8).write(to: URL(fileURLWithPath: leftover))
        let result = try FMDBRunner.run(["export", store, temp.path("out.fvecs")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url.path).sorted() == ["out.fvecs", "rows.jsonl", "s"])
    }

    @Test(.enabled(if: SmallFilesystem.canMount, "skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"))
    func exportOnAFullDiskFailsAndLeavesNoPartialFile() throws {
        let store = try store()
        let mountPoint = temp.path("small")
        try SmallFilesystem.mount(mountPoint, bytes: 64 << 10)
        defer { SmallFilesystem.unmount(mountPoint) }
        let target = mountPoint + "/out.jsonl"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
        // fill the filesystem to its last byte
        let filler = try #require(FileHandle(forWritingAtPath: { _ = FileManager.default.createFile(atPath: mountPoint + "/filler", contents: nil); return mountPoint + "/filler" }()))
        while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
        try? filler.close()
        let result = try FMDBRunner.run(["export", store, target])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(target): cannot write: No space left on device (ENOSPC); free space and retry; nothing was written and \(target) is unchanged\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("old\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).sorted() == ["filler", "out.jsonl"])
    }
}
