import Foundation

/// Checks on what callers put, before anything is written.
enum VectorValidation {
    /// Checks `vector` against the store's dimension and metric; returns its Euclidean norm.
    static func validate(_ vector: [Float], dimension: Int, metric: Metric) throws(StoreError) -> Float {
        guard !vector.isEmpty else { throw .emptyVector }
        guard vector.count == dimension else { throw .dimensionMismatch(expected: dimension, actual: vector.count) }
        var sum: Double = 0
        for (index, x) in vector.enumerated() {
            guard x.isFinite else { throw .nonFinite(index: index) }
            sum += Double(x) * Double(x)
        }
        let norm = Float(sum.squareRoot())
        guard norm.isFinite else { throw .vectorTooLarge }
        // below this length the product of two norms underflows and cosine would divide by zero
        if metric == .cosine && norm < 1e-18 { throw .zeroVector }
        return norm
    }

    /// Checks a label: nil, or 1…255 UTF-8 bytes without NUL.
    static func validate(label: String?) throws(StoreError) {
        guard let label else { return }
        let bytes = label.utf8.count
        guard bytes > 0 else { throw .invalidLabel("empty (pass nil for no label)") }
        guard bytes <= StoreOptions.maximumLabelBytes else {
            throw .invalidLabel("\(bytes) bytes; at most \(StoreOptions.maximumLabelBytes)")
        }
        guard !label.utf8.contains(0) else { throw .invalidLabel("contains a NUL character") }
    }

    /// Checks user data against the size limit.
    static func validate(userData: Data?) throws(StoreError) {
        guard let userData, userData.count > StoreOptions.maximumUserDataBytes else { return }
        throw .invalidArgument("user data of \(userData.count) bytes; at most \(StoreOptions.maximumUserDataBytes)")
    }

    /// Checks a result count.
    static func validate(count k: Int) throws(StoreError) {
        guard k > 0 else { throw .invalidArgument("result count must be at least 1, got \(k)") }
    }
}
