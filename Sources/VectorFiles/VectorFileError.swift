#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a vector file could not be read or written.
public enum VectorFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or written.
    case io(path: String, reason: String)
    /// The file is not valid in its format; `row` is 0-based where known.
    case malformed(path: String, row: Int?, reason: String)
    /// The file is valid but uses a variant this reader does not support.
    case unsupported(path: String, reason: String)
    /// The format could not be told from the file name.
    case unknownFormat(path: String)
    /// The destination is not a file a new file may replace (a device, a link, a store's file…); `reason` says what it is.
    case refused(path: String, reason: String)

    /// One line naming the file, the row and the problem.
    public var description: String {
        switch self {
        case let .io(path, reason): "\(path): \(reason)"
        case let .malformed(path, row, reason): "\(path)\(row.map { ", row \($0)" } ?? ""): \(reason)"
        case let .unsupported(path, reason): "\(path): unsupported: \(reason)"
        case let .unknownFormat(path): "\(path): cannot tell the format from the name; pass --format fvecs|npy|jsonl"
        case let .refused(path, reason): "\(path): refusing to write there: \(reason)"
        }
    }

    /// An errno value in the words of these errors' reasons: "No space left on device (ENOSPC)".
    public static func describe(errno code: Int32) -> String {
        let names: [Int32: String] = [
            ENOSPC: "ENOSPC", EACCES: "EACCES", EPERM: "EPERM", EROFS: "EROFS", EDQUOT: "EDQUOT", EIO: "EIO",
            ENOENT: "ENOENT", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EFBIG: "EFBIG", EXDEV: "EXDEV",
        ]
        return String(cString: strerror(code)) + (names[code].map { " (\($0))" } ?? "")
    }
}
