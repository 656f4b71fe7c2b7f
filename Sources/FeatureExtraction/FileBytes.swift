import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading the files extractors take (WAV, .npy).
enum FileBytes {
    /// The bytes of the regular file at `url`, mapped when safe. Anything else is an `AudioError`
    /// that says what the path is: a device or FIFO (`/dev/zero`, a pipe) is refused before it is
    /// opened, as reading it would allocate without end.
    static func contents(of url: URL) throws(AudioError) -> Data {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            let code = errno
            throw .unreadableFile(path: url.path, reason: String(cString: strerror(code)) + (code == ENOENT ? "; check the path" : ""))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .unreadableFile(path: url.path, reason: "it is a directory; give the path of a file")
        default: throw .unreadableFile(path: url.path, reason: "it is not a regular file (a device, FIFO or socket); give the path of a file")
        }
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            throw .unreadableFile(
                path: url.path,
                reason: underlying?.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(underlying!.code))) : "the file could not be read")
        }
    }
}
