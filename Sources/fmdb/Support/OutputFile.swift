import FeatureMemory
import Foundation
import VectorFiles
#if canImport(Glibc)
import Glibc
#endif

/// A new regular file written under a temporary name beside its destination (a `StagedFile`) and renamed over it
/// only once every byte is on disk, so a reader of the destination sees the old file or the whole
/// new one, and a failed write (a full disk) leaves neither a partial file nor a changed destination.
///
/// It refuses destinations that are not plain files of the user's: a device (`/dev/full`), a FIFO,
/// a socket, a symbolic link, a directory, or a file of a store (any file in a directory holding
/// `data.mdb`, or a file that is itself an LMDB environment), which a rename would replace.
///
/// It lives in fmdb, not in VectorFiles: it needs the store's knowledge of its own files
/// (`StoreFiles`) and its staging (`StagedFile`), and the format library knows nothing of stores.
final class OutputFile: VectorFileOutput {
    /// The destination's path, as given.
    let path: String
    private let directory: String
    private let name: String
    private let staged: StagedFile
    private var finished = false

    /// Checks `path` and creates the temporary file beside it.
    init(path: String) throws(VectorFileError) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        directory = url.deletingLastPathComponent().path
        name = url.lastPathComponent
        try Self.checkDestination(path, directory: directory)
        // what an export killed here before left behind
        StagedFile.removeAbandoned(in: directory, purpose: "export")
        do {
            staged = try StagedFile(directory: directory, purpose: "export")
        } catch {
            throw .io(path: path, reason: "cannot create a file in \(directory): \(Self.reason(error)); choose a writable directory")
        }
        // a replaced file keeps its mode (a new one has StagedFile's 0644 less the umask)
        var existing = stat()
        if lstat(path, &existing) == 0 { _ = fchmod(staged.descriptor, existing.st_mode & 0o7777) }
    }

    // an OutputFile dropped uncommitted: StagedFile's deinit removes the temporary file, and the destination keeps what it held

    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(VectorFileError) {
        guard !finished else { throw .io(path: path, reason: "written after it was finished or abandoned") }
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(staged.descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(writing: errno)
            }
            offset += written
        }
    }

    /// Makes the file durable and puts it at `path`: fsync, rename over the destination, fsync the directory.
    func commit() throws(VectorFileError) {
        guard !finished else { throw .io(path: path, reason: "committed twice") }
        if fsync(staged.descriptor) != 0 { throw failure(writing: errno) }
        // checked again just before the rename: the destination may have changed while writing
        do throws(VectorFileError) {
            try Self.checkDestination(path, directory: directory)
        } catch {
            abandon()
            throw error
        }
        finished = true
        do {
            try staged.install(as: name)
        } catch {
            throw .io(path: path, reason: Self.reason(error))
        }
    }

    /// Removes the temporary file; the destination keeps what it held.
    func abandon() {
        finished = true
        staged.discard()
    }

    private func failure(writing code: Int32) -> VectorFileError {
        abandon()
        return .io(path: path, reason: "cannot write: \(VectorFileError.describe(errno: code))\(code == ENOSPC ? "; free space and retry" : ""); nothing was written and \(path) is unchanged")
    }

    /// Throws when `path` is something a new file must not replace, or `directory` cannot hold it.
    static func checkDestination(_ path: String, directory: String) throws(VectorFileError) {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw .io(path: path, reason: "directory \(directory) does not exist (\(VectorFileError.describe(errno: errno))); create it first")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .io(path: path, reason: "\(directory) is not a directory") }
        if StoreFiles.isStoreDirectory(directory) {
            throw .refused(path: path, reason: "\(directory) is a store's directory; write the file outside it")
        }
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw .io(path: path, reason: "cannot inspect it: \(VectorFileError.describe(errno: errno))") }
            return
        }
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            if StoreFiles.isLMDBFile(path) {
                throw .refused(path: path, reason: "it is an LMDB environment (a store's file); choose another file name")
            }
            return
        case S_IFLNK: kind = "a symbolic link (it is not followed)"
        case S_IFDIR:
            if StoreFiles.isStoreDirectory(path) { throw .refused(path: path, reason: "it is a store's directory; give a file name outside it") }
            kind = "a directory"
        case S_IFCHR, S_IFBLK: kind = "a device"
        case S_IFIFO: kind = "a FIFO"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw .refused(path: path, reason: "it is \(kind), which only a regular file may replace; give the path of a regular file or a new one")
    }

    /// The reason of a StagedFile error, without the path it names (ours names the destination).
    private static func reason(_ error: StoreError) -> String {
        if case let .io(_, reason) = error { return reason }
        return "\(error)"
    }
}

extension VectorFileWriter {
    /// A writer of a new file at `path`, through an `OutputFile` (see it for the paths refused).
    convenience init(path: String, format: VectorFileFormat, dimension: Int, rowCount: Int?) throws(VectorFileError) {
        try self.init(output: OutputFile(path: path), format: format, dimension: dimension, rowCount: rowCount)
    }
}
