/// Integer keys and values are stored in native byte order in tables opened with
/// `MDB_INTEGERKEY` / `MDB_INTEGERDUP`: LMDB then compares them as integers (cheaper than
/// `memcmp` on every B-tree step) and a cursor walks them in numeric order.
extension FixedWidthInteger {
    /// Passes the key bytes of `self` to `body`, without allocating.
    @inline(__always)
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self, body)
    }

    /// Reads an integer key; nil when `bytes` is not exactly the width of `Self`.
    @inline(__always)
    init?(keyBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count == MemoryLayout<Self>.size else { return nil }
        self = bytes.loadUnaligned(as: Self.self)
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
