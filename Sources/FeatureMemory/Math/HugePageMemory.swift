#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory for a large table read in random order (the writer's vectors, codes and links): an
/// anonymous mapping aligned to 2 MiB and marked for huge pages before it is touched, so that a
/// random read does not also miss the address translation cache; heap memory below a few
/// megabytes (a huge page would be mostly empty) or when the kernel refuses a mapping.
struct HugePageMemory {
    /// The first byte (2 MiB-aligned when mapped, else 64-byte aligned); contents are undefined.
    let base: UnsafeMutableRawPointer
    /// The length asked for.
    let bytes: Int
    /// The mapping to unmap (it starts before `base` when it had to be aligned), or nil for heap memory.
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int

    /// Mapped only from this size on.
    static let mappingThreshold = 4 << 20
    private static let hugePage = 2 << 20

    /// `bytes` bytes of uninitialized memory.
    init(bytes: Int) {
        self.bytes = max(bytes, 1)
        let length = self.bytes + Self.hugePage
        if self.bytes >= Self.mappingThreshold,
           let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED {
            let address = UInt(bitPattern: mapped)
            let aligned = (address + UInt(Self.hugePage - 1)) & ~UInt(Self.hugePage - 1)
            base = mapped + Int(aligned - address)
            #if canImport(Glibc)
            _ = madvise(base, self.bytes, MADV_HUGEPAGE)
            #endif
            mapping = mapped
            mappedBytes = length
        } else {
            base = .allocate(byteCount: self.bytes, alignment: 64)
            mapping = nil
            mappedBytes = 0
        }
    }

    /// Gives the memory back; nothing may use it after.
    func release() {
        if let mapping { munmap(mapping, mappedBytes) } else { base.deallocate() }
    }
}
