import Foundation

/// What a store keeps beside each vector.
public struct VectorMetadata: Sendable, Equatable, Codable {
    /// A class or name for the vector; nil when it has none.
    public var label: String?
    /// Bytes the application attached; nil when none.
    public var userData: Data?
    /// How many observations the pattern summarizes (1 for a plain vector).
    public var support: UInt32
    /// How sure the application is of the label, 0…1.
    public var confidence: Float
    /// When the vector was first stored.
    public var creationDate: Date
    /// When the vector or its metadata last changed.
    public var modificationDate: Date

    /// When the vector was first stored, in seconds since 1970.
    @available(*, deprecated, message: "use creationDate, a Date")
    public var createdAt: Double { creationDate.timeIntervalSince1970 }
    /// When the vector or its metadata last changed, in seconds since 1970.
    @available(*, deprecated, message: "use modificationDate, a Date")
    public var updatedAt: Double { modificationDate.timeIntervalSince1970 }
}

/// A vector as stored, with its id and metadata.
public struct StoredVector: Sendable, Equatable {
    /// The caller's id.
    public var id: UInt64
    /// The values, exactly as put.
    public var vector: [Float]
    /// Label, user data, support, confidence and times.
    public var metadata: VectorMetadata
}

/// One vector to put, with its id and optional metadata.
public struct VectorItem: Sendable, Equatable {
    /// The caller's id.
    public var id: UInt64
    /// The values; the store's dimension, all finite.
    public var vector: [Float]
    /// An optional label, 1…255 UTF-8 bytes.
    public var label: String?
    /// Optional bytes to keep beside the vector.
    public var userData: Data?

    /// An item to put.
    public init(id: UInt64, vector: [Float], label: String? = nil, userData: Data? = nil) {
        self.id = id
        self.vector = vector
        self.label = label
        self.userData = userData
    }
}

/// One neighbour found by a search.
public struct SearchResult: Sendable, Equatable, Codable {
    /// The neighbour's id.
    public var id: UInt64
    /// Its distance to the query under the store's metric (smaller is nearer).
    public var distance: Float

    /// A search result.
    public init(id: UInt64, distance: Float) {
        self.id = id
        self.distance = distance
    }
}

/// Which stored vectors a search may return.
public enum SearchFilter: Sendable, Equatable {
    /// Only vectors with this label.
    case label(String)
    /// Only vectors with one of these ids.
    case ids(Set<UInt64>)
}
