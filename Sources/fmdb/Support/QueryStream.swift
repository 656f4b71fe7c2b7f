import Foundation

/// The order in which `fmdb bench` issues queries.
enum QueryStream {
    /// Uniform: every query once, in file order. Zipf: `length` draws where the query of
    /// popularity rank r comes with weight 1/r^exponent; ranks are a seeded shuffle of the file,
    /// so popularity does not follow file order.
    static func make(_ workload: Workload, queries: Int, length: Int, exponent: Double, seed: UInt64) -> [Int] {
        guard workload == .zipf else { return Array(0..<queries) }
        var random = SplitMix(seed: seed)
        var ranked = Array(0..<queries)
        ranked.shuffle(using: &random)
        var cumulative: [Double] = []
        cumulative.reserveCapacity(queries)
        var total = 0.0
        for rank in 1...queries {
            total += 1 / pow(Double(rank), exponent)
            cumulative.append(total)
        }
        return (0..<length).map { _ in
            let u = Double.random(in: 0..<total, using: &random)
            var low = 0, high = queries - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] <= u { low = middle + 1 } else { high = middle }
            }
            return ranked[low]
        }
    }
}

/// Dropping a file's pages from the OS page cache, for cold-start measurements.
enum PageCache {
    /// Asks the kernel to drop `path`'s cached pages (works for any file this process can open;
    /// pages mapped by other processes stay). Returns whether the request was made.
    static func evict(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        fdatasync(descriptor)
        return posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED)) == 0
    }
}

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
