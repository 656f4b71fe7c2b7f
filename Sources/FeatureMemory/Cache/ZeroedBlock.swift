#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A zero-filled block for the node cache's tables (node index, doorkeeper), which are sized for
/// the whole store at open: taken from the kernel as untouched zero pages, so that opening a store
/// does not write megabytes of zeros before its first answer (a page costs only when first used).
struct ZeroedBlock {
    /// The first byte (page-aligned when mapped, else 64-byte aligned).
    let base: UnsafeMutableRawPointer
    /// The length asked for.
    let bytes: Int
    /// Whether the block is a mapping (else heap memory zeroed here, should the kernel refuse one).
    private let mapped: Bool

    /// `bytes` zero bytes.
    init(bytes: Int) {
        self.bytes = max(bytes, 1)
        if let mapping = mmap(nil, self.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapping != MAP_FAILED {
            base = mapping
            mapped = true
        } else {
            base = .allocate(byteCount: self.bytes, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: self.bytes)
            mapped = false
        }
    }

    /// Gives the block back; nothing may use it after.
    func release() {
        if mapped { munmap(base, bytes) } else { base.deallocate() }
    }
}
