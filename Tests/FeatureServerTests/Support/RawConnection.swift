import Foundation
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a loopback port, for what an HTTP client library will not do: send
/// half a request, hold a connection open without a request, send exact path bytes.
final class RawConnection {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`; throws when the connection is refused.
    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ServerFailure("connect to port \(port): \(reason)")
        }
    }

    deinit { close(descriptor) }

    /// Whether a connection to `port` is refused now.
    static func isRefused(port: Int) -> Bool {
        (try? RawConnection(port: port)) == nil
    }

    /// Sends `text` in full; false when the peer has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Sends `data` in full; false when the peer has closed the connection.
    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = Glibc.send(descriptor, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
    }

    /// What arrives until the peer closes or `timeout` passes; `closed` tells which.
    func receive(timeout: Duration) -> (data: Data, closed: Bool) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while clock.now < deadline {
            let left = deadline - clock.now
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(max(1, left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&pollDescriptor, 1, milliseconds) > 0 else { continue }
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n <= 0 { return (data, true) }  // EOF or a reset: closed either way
            data.append(contentsOf: buffer[0..<n])
        }
        return (data, false)
    }

    /// Reads until a whole HTTP response (headers and a Content-Length body) has arrived, or the
    /// connection closes, or `timeout` passes.
    func receiveResponse(timeout: Duration) -> RawResponse? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var data = Data()
        while clock.now < deadline {
            if let response = RawResponse(data), response.isComplete { return response }
            let (more, closed) = receive(timeout: min(.milliseconds(100), deadline - clock.now))
            data.append(more)
            if closed { return RawResponse(data) }
        }
        return RawResponse(data)
    }

    /// Sends one request with `Connection: close` to 127.0.0.1:`port` and reads the response:
    /// the path's bytes go exactly as given.
    static func request(
        port: Int, _ method: String, _ path: String, body: String? = nil, headers: [String] = []
    ) throws -> RawResponse {
        let connection = try RawConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for header in headers { head += header + "\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        connection.send(head + "\r\n" + (body ?? ""))
        guard let response = connection.receiveResponse(timeout: .seconds(30)) else { throw ServerFailure("no response to \(method) \(path)") }
        return response
    }
}

/// An HTTP/1.1 response parsed from raw bytes.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: Data
    private var expectedLength: Int?

    /// Parses `data`; nil until the status line and headers are complete.
    init?(_ data: Data) {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, let code = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        status = code
        headers = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        body = Data(data[end.upperBound...])
        expectedLength = headers["content-length"].flatMap { Int($0) }
    }

    /// Whether the whole body has arrived.
    var isComplete: Bool { expectedLength.map { body.count >= $0 } ?? false }

    /// As a `Reply`, to check an error body the same way.
    var reply: Reply {
        Reply(status: status, headers: HTTPHeaders(headers.map { ($0.key, $0.value) }), body: body)
    }
}
