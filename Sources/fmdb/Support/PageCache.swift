import Foundation

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
