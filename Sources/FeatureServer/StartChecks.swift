import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the server checks before it starts, so a bad directory or a taken port fails at once
/// with one line instead of after the stores opened.
enum StartChecks {
    /// Makes `directory` when missing; throws unless it is a writable directory.
    static func directory(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw ServerStartError("cannot create the directory \(directory.path): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw ServerStartError("\(directory.path) is not a directory")
        }
        let probe = directory.appendingPathComponent(".write-check-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw ServerStartError("the directory \(directory.path) is not writable")
        }
        try? FileManager.default.removeItem(at: probe)
    }

    /// Throws when `host:port` cannot be bound (in use, or not an address of this machine).
    static func port(host: String, port: Int) throws {
        guard (0...65_535).contains(port) else { throw ServerStartError("port \(port) is not 0…65535") }
        if port == 0 { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            throw ServerStartError("cannot resolve the address \(host)")
        }
        defer { freeaddrinfo(list) }
        let socketDescriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw ServerStartError("cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(socketDescriptor) }
        var yes: Int32 = 1
        setsockopt(socketDescriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(socketDescriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw ServerStartError("cannot listen on \(host):\(port): \(String(cString: strerror(errno)))")
        }
    }

    /// Raises the open-file limit to its hard maximum (a connection is a file); returns the limit.
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }
}
