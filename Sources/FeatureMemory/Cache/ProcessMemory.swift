import Foundation

/// This process's memory, from /proc/self/status (Linux): read by `/metrics`, the dashboard and
/// `fmdb bench`.
public struct ProcessMemory: Sendable {
    /// All resident bytes, mapped file pages (the stores' maps) included.
    public var resident: Int
    /// Resident anonymous bytes (heap, stacks, the node cache), without file pages: what a leak grows.
    public var anonymous: Int
    /// Virtual memory, in bytes.
    public var virtual: Int

    /// The figures now; nil where /proc/self/status cannot be read.
    public static func current() -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        var kilobytes: [Substring: Int] = [:]
        for line in status.split(separator: "\n") where line.hasPrefix("Vm") || line.hasPrefix("Rss") {
            // "RssAnon:\t  123456 kB": tabs and spaces between the name and the number
            guard let colon = line.firstIndex(of: ":") else { continue }
            kilobytes[line[..<colon]] = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
        }
        guard let resident = kilobytes["VmRSS"], let anonymous = kilobytes["RssAnon"], let virtual = kilobytes["VmSize"] else { return nil }
        return ProcessMemory(resident: resident << 10, anonymous: anonymous << 10, virtual: virtual << 10)
    }
}
