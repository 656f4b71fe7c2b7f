internal import CFeatureMemoryShims
internal import CLZ4

/// Encodes vectors into records and decodes them back, reusing its scratch buffers.
///
/// One codec serves one thread at a time; bytes it returns live until its next call.
final class VectorCodec {
    /// The number of floats each record holds.
    let dimension: Int
    /// The precision records are written in (any is read).
    let encoding: VectorEncoding
    private let rawBytes: Int
    private let shuffled: UnsafeMutableRawBufferPointer
    private let encoded: UnsafeMutableRawBufferPointer
    private let decoded: UnsafeMutableRawBufferPointer

    init(dimension: Int, encoding: VectorEncoding = .f32) {
        self.dimension = dimension
        self.encoding = encoding
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

    /// The float32 record for `vector` (already validated: `dimension` finite values), whatever
    /// this codec's encoding: compressed when that saves at least an eighth of the bytes, raw
    /// otherwise. Puts go through `encodeStored`.
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
        writeHeader(codec: codec, norm: norm, payloadSize: payloadSize)
        return UnsafeRawBufferPointer(rebasing: encoded[0..<(VectorRecord.headerSize + payloadSize)])
    }

    /// The record for `vector` (validated: `dimension` finite values) in this codec's encoding,
    /// the values a read of it returns and their Euclidean norm, which the record keeps: for f32
    /// the vector itself and `norm`; else values decoded from the record (in this codec's scratch
    /// until its next call), so that what is indexed is exactly what is stored.
    func encodeStored(_ vector: UnsafeBufferPointer<Float>, norm: Float) -> (record: UnsafeRawBufferPointer, values: UnsafeRawPointer, norm: Float) {
        guard encoding != .f32 else { return (encode(vector, norm: norm), UnsafeRawPointer(vector.baseAddress!), norm) }
        precondition(vector.count == dimension, "encode: vector was not validated")
        let n = dimension
        let codec = encoding.recordCodec
        let payloadSize = codec.payloadBytes(dimension: n) ?? rawBytes
        let payload = encoded.baseAddress! + VectorRecord.headerSize
        let values = UnsafeRawPointer(vector.baseAddress!)
        switch codec {
        case .scaledHalf:
            let scale = fm_half_encode(values, (payload + 4).assumingMemoryBound(to: UInt16.self), n)
            payload.storeBytes(of: scale.bitPattern.littleEndian, as: UInt32.self)
        case .bfloat16:
            fm_bfloat_encode(values, payload, n)
        case .levels:
            var step: Float = 0
            let low = fm_byte_encode(values, (payload + 8).assumingMemoryBound(to: UInt8.self), n, &step)
            payload.storeBytes(of: low.bitPattern.littleEndian, as: UInt32.self)
            payload.storeBytes(of: step.bitPattern.littleEndian, toByteOffset: 4, as: UInt32.self)
        case .raw, .shuffledLZ4:
            preconditionFailure("f32 is encoded above")
        }
        let stored = decoded.baseAddress!
        Self.decodePayload(UnsafeRawBufferPointer(start: payload, count: payloadSize), codec: codec, count: n, into: stored)
        var sum: Double = 0
        for i in 0..<n {
            let x = Double(stored.load(fromByteOffset: 4 * i, as: Float.self))
            sum += x * x
        }
        let storedNorm = Float(sum.squareRoot())
        writeHeader(codec: codec, norm: storedNorm, payloadSize: payloadSize)
        return (UnsafeRawBufferPointer(rebasing: encoded[0..<(VectorRecord.headerSize + payloadSize)]), UnsafeRawPointer(stored), storedNorm)
    }

    /// Fills in `encoded`'s header (and checksum) for a payload already written after it.
    private func writeHeader(codec: VectorRecord.Codec, norm: Float, payloadSize: Int) {
        encoded[0] = VectorRecord.layoutVersion
        encoded[1] = codec.rawValue
        encoded.storeLittleEndian(UInt16(0), at: 2)
        encoded.storeLittleEndian(UInt32(dimension), at: 4)
        encoded.storeLittleEndian(norm.bitPattern, at: 8)
        let header = UnsafeRawBufferPointer(rebasing: encoded[0..<12])
        let body = UnsafeRawBufferPointer(start: encoded.baseAddress! + VectorRecord.headerSize, count: payloadSize)
        encoded.storeLittleEndian(Checksum.crc32c(body, seed: Checksum.crc32c(header)), at: 12)
    }

    /// Decodes a fixed-size payload of a precision below float32 (its size already checked) into `out`.
    private static func decodePayload(_ payload: UnsafeRawBufferPointer, codec: VectorRecord.Codec, count n: Int, into out: UnsafeMutableRawPointer) {
        let base = payload.baseAddress!
        let floats = out.assumingMemoryBound(to: Float.self)
        switch codec {
        case .scaledHalf:
            let scale = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
            fm_half_decode(base + 4, scale, floats, n)
        case .bfloat16:
            fm_bfloat_decode(base, floats, n)
        case .levels:
            let low = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
            let step = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            fm_byte_decode((base + 8).assumingMemoryBound(to: UInt8.self), low, step, floats, n)
        case .raw, .shuffledLZ4:
            break
        }
    }

    /// The floats of `record` (node `node`), checked against its checksum: a pointer into
    /// the record itself when raw, into this codec's scratch otherwise.
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
        case .scaledHalf, .bfloat16, .levels:
            guard payload.count == codec.payloadBytes(dimension: dimension) else { throw .corruptRecord(node: node) }
            Self.decodePayload(payload, codec: codec, count: dimension, into: decoded.baseAddress!)
            return (UnsafeRawPointer(decoded.baseAddress!), norm)
        }
    }

    /// The floats of a record of a fixed-size codec below float32 whose checksum and layout
    /// were checked already (a snapshot's location table holds only such records), decoded
    /// into this codec's scratch without checking them again.
    @inline(__always)
    func decodeChecked(_ record: UnsafeRawPointer) -> UnsafeRawPointer {
        let codec = VectorRecord.Codec(rawValue: record.load(fromByteOffset: 1, as: UInt8.self)) ?? .raw
        let size = codec.payloadBytes(dimension: dimension) ?? rawBytes
        Self.decodePayload(UnsafeRawBufferPointer(start: record + VectorRecord.headerSize, count: size), codec: codec, count: dimension, into: decoded.baseAddress!)
        return UnsafeRawPointer(decoded.baseAddress!)
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
