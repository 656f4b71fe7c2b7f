import Foundation

/// This process's resident memory, from /proc/self/status.
struct ProcessMemory {
    /// All resident bytes, mapped file pages included.
    var resident: Int
    /// Resident anonymous bytes (heap, node cache), without file pages.
    var anonymous: Int

    static func current() -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func kilobytes(_ field: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
            return line.split(separator: " ").compactMap { Int($0) }.first
        }
        guard let resident = kilobytes("VmRSS"), let anonymous = kilobytes("RssAnon") else { return nil }
        return ProcessMemory(resident: resident << 10, anonymous: anonymous << 10)
    }
}
