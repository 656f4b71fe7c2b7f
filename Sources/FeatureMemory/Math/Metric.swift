/// How the distance between two vectors is measured. Smaller is nearer for every metric.
public enum Metric: String, Sendable, CaseIterable, Codable {
    /// Squared Euclidean distance, Σ(aᵢ − bᵢ)².
    case l2
    /// Cosine distance, 1 − a·b / (‖a‖‖b‖). Zero vectors are refused.
    case cosine
    /// Inner-product distance, 1 − a·b (for vectors whose length carries meaning, or unit vectors).
    case innerProduct = "ip"

    /// The code stored in the `meta` table.
    var storedCode: UInt8 {
        switch self {
        case .l2: 0
        case .cosine: 1
        case .innerProduct: 2
        }
    }

    /// The metric for a stored code, nil for an unknown one.
    init?(storedCode: UInt8) {
        switch storedCode {
        case 0: self = .l2
        case 1: self = .cosine
        case 2: self = .innerProduct
        default: return nil
        }
    }
}
