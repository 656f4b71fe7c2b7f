internal import CLZ4

/// Encodes vectors into records and decodes them back, reusing its scratch buffers.
///
/// One codec serves one thread at a time; bytes it returns live until its next call.
final class VectorCodec {
    /// The number of floats each record holds.
    let dimension: Int
    private let rawBytes: Int
    private let shuffled: UnsafeMutableRawBufferPointer
    private let encoded: UnsafeMutableRawBufferPointer
    private let decoded: UnsafeMutableRawBufferPointer

    init(dimension: Int) {
        self.dimension = dimension
        rawBytes = dimension * 4
        let bound = Int(LZ4_compressBound(Int32(rawBytes)))
        shuffled = .allocate(byteCount: rawBytes, alignment: 64)
        encoded = .allocate(byteCount: VectorRecord.headerSize + max(bound, rawBytes), alignment: 64)
        decoded = .allocate(byteCount: rawBytes, alignment: 64)
    }

    deinit {
        shuffled.deallocate()
        encoded.deallocate()
        decoded.deallocate()
    }

    /// The record for `vector` (already validated: `dimension` finite values).
    /// Compressed when that saves at least an eighth of the bytes, raw otherwise.
    func encode(_ vector: UnsafeBufferPointer<Float>, norm: Float) -> UnsafeRawBufferPointer {
        precondition(vector.count == dimension, "encode: vector was not validated")
        let source = UnsafeRawBufferPointer(vector)
        let n = dimension
        // byte shuffle: float32 exponents and high mantissa bytes line up and compress
        for i in 0..<n {
            for b in 0..<4 { shuffled[b * n + i] = source[i * 4 + b] }
        }
        let payload = encoded.baseAddress! + VectorRecord.headerSize
        let capacity = encoded.count - VectorRecord.headerSize
        let compressed = Int(LZ4_compress_default(
            shuffled.baseAddress!.assumingMemoryBound(to: CChar.self),
            payload.assumingMemoryBound(to: CChar.self), Int32(rawBytes), Int32(capacity)))
        let codec: VectorRecord.Codec
        let payloadSize: Int
        // Compress only when it saves at least an eighth: a smaller gain rarely saves a page
        // and costs an LZ4 decode on every read of the record.
        if compressed > 0 && compressed <= rawBytes - rawBytes / 8 {
            codec = .shuffledLZ4
            payloadSize = compressed
        } else {
            codec = .raw
            payloadSize = rawBytes
            payload.copyMemory(from: source.baseAddress!, byteCount: rawBytes)
        }
        encoded[0] = VectorRecord.layoutVersion
        encoded[1] = codec.rawValue
        encoded.storeLittleEndian(UInt16(0), at: 2)
        encoded.storeLittleEndian(UInt32(n), at: 4)
        encoded.storeLittleEndian(norm.bitPattern, at: 8)
        let header = UnsafeRawBufferPointer(rebasing: encoded[0..<12])
        let body = UnsafeRawBufferPointer(start: payload, count: payloadSize)
        let crc = Checksum.crc32c(body, seed: Checksum.crc32c(header))
        encoded.storeLittleEndian(crc, at: 12)
        return UnsafeRawBufferPointer(rebasing: encoded[0..<(VectorRecord.headerSize + payloadSize)])
    }

    /// The floats of `record` (node `node`), checked against its checksum: a pointer into
    /// the record itself when raw, into this codec's scratch when compressed.
    /// The pointer need not be float-aligned; read it with unaligned loads.
    @inline(__always)
    func decode(
        _ record: UnsafeRawBufferPointer, node: UInt32
    ) throws(StoreError) -> (values: UnsafeRawPointer, norm: Float) {
        guard record.count >= VectorRecord.headerSize,
              record[0] == VectorRecord.layoutVersion,
              record.littleEndian(at: 4, as: UInt32.self) == UInt32(dimension),
              let codec = VectorRecord.Codec(rawValue: record[1])
        else { throw .corruptRecord(node: node) }
        let stored: UInt32 = record.littleEndian(at: 12)
        let header = UnsafeRawBufferPointer(rebasing: record[0..<12])
        let payload = UnsafeRawBufferPointer(rebasing: record[VectorRecord.headerSize...])
        guard Checksum.crc32c(payload, seed: Checksum.crc32c(header)) == stored else {
            throw .corruptRecord(node: node)
        }
        let norm = Float(bitPattern: record.littleEndian(at: 8))
        switch codec {
        case .raw:
            guard payload.count == rawBytes else { throw .corruptRecord(node: node) }
            return (payload.baseAddress!, norm)
        case .shuffledLZ4:
            let written = LZ4_decompress_safe(
                payload.baseAddress!.assumingMemoryBound(to: CChar.self),
                shuffled.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(payload.count), Int32(rawBytes))
            guard written == Int32(rawBytes) else { throw .corruptRecord(node: node) }
            let n = dimension
            for i in 0..<n {
                for b in 0..<4 { decoded[i * 4 + b] = shuffled[b * n + i] }
            }
            return (UnsafeRawPointer(decoded.baseAddress!), norm)
        }
    }

    /// The floats of `record` as an array.
    func decodeArray(_ record: UnsafeRawBufferPointer, node: UInt32) throws(StoreError) -> [Float] {
        let (values, _) = try decode(record, node: node)
        return [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: values, byteCount: rawBytes)
            initialized = dimension
        }
    }

    /// The codec a record uses, without checking it.
    static func codec(of record: UnsafeRawBufferPointer) -> VectorRecord.Codec? {
        record.count > 1 ? VectorRecord.Codec(rawValue: record[1]) : nil
    }
}
