internal import CFeatureMemoryShims

/// CRC-32C (Castagnoli), the checksum of every record: hardware-accelerated on x86-64.
enum Checksum {
    /// The checksum of `bytes`, continuing from `seed` (0 to start).
    @inline(__always)
    static func crc32c(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return seed }
        return fm_crc32c(seed, base, bytes.count)
    }

    /// Whether the processor's CRC instruction is used.
    static var usesHardware: Bool { fm_crc32c_uses_hardware() != 0 }
}
