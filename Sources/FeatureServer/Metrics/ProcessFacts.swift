import FeatureMemory
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The process's own resource use and the disk under the served directory, read from /proc and
/// statvfs when metrics are scraped (Linux; elsewhere the figures are nil).
struct ProcessFacts: Sendable {
    /// Resident, anonymous and virtual memory.
    var memory: ProcessMemory?
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double?
    /// Open file descriptors.
    var openFiles: Int?
    /// The soft limit on open file descriptors.
    var maximumFiles: Int?
    /// When the process started, in seconds since 1970.
    var startTime: Double?

    /// The facts of this process now.
    static func current() -> ProcessFacts {
        var facts = ProcessFacts(memory: ProcessMemory.current())
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // the command name in parentheses may hold spaces: the fields count from the last ')'
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // after the name: state is field 3, utime 14, stime 15, starttime 22 (1-based)
            if fields.count > 19, let user = Double(fields[11]), let system = Double(fields[12]), ticks > 0 {
                facts.cpuSeconds = (user + system) / ticks
                if let started = Double(fields[19]), let boot = bootTime { facts.startTime = boot + started / ticks }
            }
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            facts.openFiles = entries.count
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { facts.maximumFiles = Int(clamping: limit.rlim_cur) }
        return facts
    }

    /// Free and total bytes of the file system holding `path`; nil when statvfs fails.
    static func disk(at path: String) -> (free: Int, total: Int)? {
        var facts = statvfs()
        guard statvfs(path, &facts) == 0 else { return nil }
        let unit = Int(facts.f_frsize)
        return (Int(facts.f_bavail) * unit, Int(facts.f_blocks) * unit)
    }

    // read once: the boot time does not change
    private static let bootTime: Double? = {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }()
}
