import Foundation
/// File formats vectors are imported from and exported to.
public enum VectorFileFormat: String, Sendable, CaseIterable, Codable {
    /// ANN-benchmarks "texmex": per row a little-endian int32 dimension, then that many float32.
    case fvecs
    /// NumPy `.npy`: a 2-D (rows × dimension) or 1-D array of float16, float32 or float64.
    case npy
    /// JSON lines: per line an array of numbers, or an object with "vector" (and optional "id", "label").
    case jsonl

    /// The format named by the file's extension, or nil.
    public init?(inferredFrom path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".fvecs") || lower.hasSuffix(".fvec") {
            self = .fvecs
        } else if lower.hasSuffix(".npy") {
            self = .npy
        } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") {
            self = .jsonl
        } else {
            return nil
        }
    }
}

/// One row of a vector file.
public struct VectorFileRow: Sendable, Equatable {
    /// The values.
    public var vector: [Float]
    /// An id the row carries itself (JSON lines only).
    public var id: UInt64?
    /// A label the row carries (JSON lines only).
    public var label: String?
    /// User data the row carries (JSON lines only: "user_data", base64).
    public var userData: Data?

    /// A row.
    public init(vector: [Float], id: UInt64? = nil, label: String? = nil, userData: Data? = nil) {
        self.vector = vector
        self.id = id
        self.label = label
        self.userData = userData
    }
}
