/// A vector as a store keeps it: its record, the values every read of it returns (what the
/// graph indexes) and their norm.
struct StoredForm {
    var record: [UInt8]
    var values: [Float]
    var norm: Float
}

extension VectorCodec {
    /// `vector`, validated for `metric`, in this codec's encoding. The stored values are validated
    /// too: a vector that a lower precision turns into zeros (under cosine) or overflows is
    /// refused, not stored.
    func storedForm(of vector: [Float], metric: Metric) throws(StoreError) -> StoredForm {
        let norm = try VectorValidation.validate(vector, dimension: dimension, metric: metric)
        let encoding = self.encoding, dimension = self.dimension
        let (record, values, storedNorm) = vector.withUnsafeBufferPointer { input in
            let encoded = encodeStored(input, norm: norm)
            let record = [UInt8](encoded.record)
            guard encoding != .f32 else { return (record, vector, norm) }
            let values = [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: encoded.values, byteCount: dimension * 4)
                initialized = dimension
            }
            return (record, values, encoded.norm)
        }
        if encoding != .f32 {
            do {
                _ = try VectorValidation.validate(values, dimension: dimension, metric: metric)
            } catch {
                throw .invalidArgument("stored as \(encoding.rawValue), the vector would no longer be valid: \(error)")
            }
        }
        return StoredForm(record: record, values: values, norm: storedNorm)
    }
}
