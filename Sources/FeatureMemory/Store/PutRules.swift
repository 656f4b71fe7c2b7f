import Foundation

/// The checks every put applies to an item (dimension, finite values, a non-zero vector under
/// cosine, label, user data), for callers that check a whole input before writing any of it.
///
/// They are the write path's own checks (`VectorValidation`), so an item these rules accept is
/// refused by a put only for reasons outside the item: the disk, the map size cap, a damaged store.
public struct PutRules: Sendable, Equatable {
    /// Floats per vector.
    public let dimension: Int
    /// The metric the vectors are compared with (cosine refuses zero vectors).
    public let metric: Metric
    /// The precision vectors are stored in (a vector must stay valid in it).
    public let encoding: VectorEncoding

    /// The rules of a store of `dimension` and `metric`; throws when a store could not have that dimension.
    public init(dimension: Int, metric: Metric, encoding: VectorEncoding = .f32) throws {
        guard (1...StoreOptions.maximumDimension).contains(dimension) else {
            throw StoreError.invalidArgument("dimension must be 1…\(StoreOptions.maximumDimension), got \(dimension)")
        }
        self.init(checkedDimension: dimension, metric: metric, encoding: encoding)
    }

    /// Rules for a dimension already checked (a store's own, checked when it was created).
    init(checkedDimension dimension: Int, metric: Metric, encoding: VectorEncoding) {
        self.dimension = dimension
        self.metric = metric
        self.encoding = encoding
    }

    /// Throws the error a put of `item` would throw for the item itself.
    public func check(_ item: VectorItem) throws {
        try check(item.vector, label: item.label, userData: item.userData)
    }

    /// Throws the error a put of `vector` with `label` and `userData` would throw for them.
    public func check(_ vector: [Float], label: String? = nil, userData: Data? = nil) throws {
        if encoding == .f32 {
            _ = try VectorValidation.validate(vector, dimension: dimension, metric: metric)
        } else {
            _ = try VectorCodec(dimension: dimension, encoding: encoding).storedForm(of: vector, metric: metric)
        }
        try VectorValidation.validate(label: label)
        try VectorValidation.validate(userData: userData)
    }
}

extension FeatureStore {
    /// The rules a put into this store applies to each item.
    public var putRules: PutRules {
        PutRules(checkedDimension: dimension, metric: metric, encoding: encoding)
    }
}
