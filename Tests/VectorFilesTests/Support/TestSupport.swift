import Foundation
import VectorFiles

/// A fresh directory under the system temporary directory, removed with everything in it when
/// the value is released: one per test, so tests can run in parallel.
final class TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fm-files-test-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// An output that keeps the file in memory, so the writer's encoding is tested without any
/// file system (staging and refusing paths belong to fmdb's OutputFile and its tests).
final class MemoryOutput: VectorFileOutput {
    let path: String
    private var pending: [UInt8] = []
    /// What `commit` made the file's contents; nil until then.
    private(set) var committed: [UInt8]?
    private(set) var abandoned = false

    init(path: String) { self.path = path }

    func write(_ bytes: UnsafeRawBufferPointer) throws(VectorFileError) { pending += bytes }

    func commit() throws(VectorFileError) { committed = pending }

    func abandon() { abandoned = true }

    /// Writes what was committed to `url`, for the reader (which maps files).
    func save(to url: URL) throws {
        try Data(committed ?? []).write(to: url)
    }
}
