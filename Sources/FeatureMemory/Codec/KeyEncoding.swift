/// Keys are big-endian so that LMDB's byte order is numeric order: a cursor walks ids ascending.
extension FixedWidthInteger {
    /// Passes the big-endian bytes of `self` to `body`, without allocating.
    @inline(__always)
    func withBigEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self.bigEndian, body)
    }

    /// Reads a big-endian key; nil when `bytes` is not exactly the width of `Self`.
    @inline(__always)
    init?(bigEndianKey bytes: UnsafeRawBufferPointer) {
        guard bytes.count == MemoryLayout<Self>.size else { return nil }
        self.init(bigEndian: bytes.loadUnaligned(as: Self.self))
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a little-endian integer at `offset`.
    @inline(__always)
    func littleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Writes `value` little-endian at `offset`.
    @inline(__always)
    func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
