import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// A new file appears whole or not at all, and never replaces what is not a plain file of the user's.
struct OutputFileTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    func path(_ name: String) -> String { temporary.path(name) }

    /// The names in the temporary directory, sorted (to show a refused or failed write left nothing).
    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: temporary.url.path).sorted() }

    /// The kind of what is at `path`, without following a link.
    func kind(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    @Test func aCommittedFileReplacesARegularFileWholeAndLeavesNoTemporaryFile() throws {
        let target = path("out.bin")
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: target))
        let output = try OutputFile(path: target)
        try output.write(Array("new".utf8))
        // until the commit the destination keeps its old bytes
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("old contents".utf8))
        try output.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("new".utf8))
        #expect(try entries() == ["out.bin"])
    }

    @Test func anAbandonedOrDroppedFileLeavesTheDestinationAsItWas() throws {
        let target = path("out.bin")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        let abandoned = try OutputFile(path: target)
        try abandoned.write(Array("partial".utf8))
        abandoned.abandon()
        do {
            let dropped = try OutputFile(path: path("new.bin"))
            try dropped.write(Array("partial".utf8))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("old".utf8))
        #expect(try entries() == ["out.bin"])
    }

    @Test func aDeviceIsRefusedAndStaysADevice() throws {
        #expect(throws: VectorFileError.refused(
            path: "/dev/full",
            reason: "it is a device, which only a regular file may replace; give the path of a regular file or a new one")) {
            _ = try OutputFile(path: "/dev/full")
        }
        #expect(kind("/dev/full") == S_IFCHR)
    }

    @Test func aFIFOASymlinkAndADirectoryAreRefusedAndKept() throws {
        let fifo = path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        let real = path("real.txt")
        try Data("kept".utf8).write(to: URL(fileURLWithPath: real))
        let link = path("link.txt")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let directory = path("dir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        for (target, what) in [(fifo, "a FIFO"), (link, "a symbolic link (it is not followed)"), (directory, "a directory")] {
            #expect(throws: VectorFileError.refused(
                path: target, reason: "it is \(what), which only a regular file may replace; give the path of a regular file or a new one")) {
                _ = try OutputFile(path: target)
            }
        }
        #expect(kind(fifo) == S_IFIFO)
        #expect(kind(link) == S_IFLNK)
        #expect(kind(directory) == S_IFDIR)
        #expect(try Data(contentsOf: URL(fileURLWithPath: real)) == Data("kept".utf8))
        #expect(try entries() == ["dir", "fifo", "link.txt", "real.txt"])
    }

    @Test func aSocketIsRefusedAndKept() throws {
        let socketPath = path("sock")
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        try #require(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        #expect(throws: VectorFileError.refused(
            path: socketPath, reason: "it is a socket, which only a regular file may replace; give the path of a regular file or a new one")) {
            _ = try OutputFile(path: socketPath)
        }
        #expect(kind(socketPath) == S_IFSOCK)
    }

    @Test func theFilesOfAStoreAndFilesBesideThemAreRefused() throws {
        let storePath = path("store")
        let store = try FeatureStore(at: URL(fileURLWithPath: storePath), options: StoreOptions(dimension: 4, metric: .l2, durability: .noSync))
        try store.put([1, 2, 3, 4], for: 1)
        let before = try FileManager.default.contentsOfDirectory(atPath: storePath).sorted()
        let data = try Data(contentsOf: URL(fileURLWithPath: storePath + "/data.mdb"))
        for name in ["data.mdb", "lock.mdb", "export.fvecs"] {
            #expect(throws: VectorFileError.refused(
                path: storePath + "/" + name, reason: "\(storePath) is a store's directory; write the file outside it")) {
                _ = try OutputFile(path: storePath + "/" + name)
            }
        }
        // a copy of a store's data file elsewhere is an LMDB environment all the same
        let copy = path("copy.fvecs")
        try data.write(to: URL(fileURLWithPath: copy))
        #expect(throws: VectorFileError.refused(path: copy, reason: "it is an LMDB environment (a store's file); choose another file name")) {
            _ = try OutputFile(path: copy)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: storePath).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == data)
        #expect(try store.get(1).vector == [1, 2, 3, 4])
    }

    @Test func aMissingDirectoryIsNamed() throws {
        let target = path("missing/out.npy")
        #expect(throws: VectorFileError.io(
            path: target,
            reason: "directory \(path("missing")) does not exist (No such file or directory (ENOENT)); create it first")) {
            _ = try OutputFile(path: target)
        }
    }
}
