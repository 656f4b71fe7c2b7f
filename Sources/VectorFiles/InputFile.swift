import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opening a file that vectors are read from: errors name the file and say what it is and what
/// to do in our words (not Foundation's), and only a regular file is read, so a FIFO or a device
/// cannot block or feed a reader without end.
enum InputFile {
    /// The bytes of the regular file at `path`, memory-mapped.
    static func map(_ path: String) throws(VectorFileError) -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw .io(path: path, reason: "cannot read it: \(VectorFileError.describe(errno: code))\(code == ENOENT ? "; check the path" : "")")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .io(path: path, reason: "it is a directory; give the path of a file")
        default: throw .io(path: path, reason: "it is not a regular file (a device, FIFO or socket); give the path of a file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = underlying.flatMap { $0.domain == NSPOSIXErrorDomain ? VectorFileError.describe(errno: Int32($0.code)) : nil }
                ?? "the file could not be read"
            throw .io(path: path, reason: "cannot read it: \(reason)")
        }
    }
}
