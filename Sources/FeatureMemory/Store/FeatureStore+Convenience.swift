import Foundation

/// One-call forms of the common operations, each in its own transaction.
extension FeatureStore {
    /// Stores `vector` under `id` in its own durable transaction.
    public func put(_ vector: [Float], for id: UInt64, label: String? = nil, userData: Data? = nil) throws {
        try write { try $0.put(vector, for: id, label: label, userData: userData) }
    }

    /// Stores every item in one transaction: all of them, or (on any error) none.
    /// An error names the failing item with `StoreError.batchItem`.
    public func put(_ items: [VectorItem]) throws {
        try write { txn in
            for (index, item) in items.enumerated() {
                do {
                    try txn.put(item)
                } catch let error as StoreError {
                    throw StoreError.batchItem(index: index, error)
                }
            }
        }
    }

    /// The vector, id and metadata stored under `id`; throws `StoreError.unknownID` when none.
    public func get(_ id: UInt64) throws -> StoredVector {
        try read { try $0.get(id) }
    }

    /// Whether a vector is stored under `id`.
    public func contains(_ id: UInt64) throws -> Bool {
        try read { try $0.contains(id) }
    }

    /// Replaces the vector of an existing `id`, keeping its metadata.
    public func update(_ id: UInt64, vector: [Float]) throws {
        try write { try $0.update(id, vector: vector) }
    }

    /// Removes `id`; throws `StoreError.unknownID` when none.
    public func delete(_ id: UInt64) throws {
        try write { try $0.delete(id) }
    }

    /// Removes every id in one transaction: all of them, or (when one is unknown) none.
    public func delete(_ ids: [UInt64]) throws {
        try write { txn in
            for (index, id) in ids.enumerated() {
                do {
                    try txn.delete(id)
                } catch let error as StoreError {
                    throw StoreError.batchItem(index: index, error)
                }
            }
        }
    }

    /// The number of vectors in the store.
    public func count() throws -> Int {
        try read { try $0.count }
    }

    /// The `count` stored vectors nearest to `query`, nearest first, through the HNSW graph
    /// (see `ReadTransaction.nearest(to:count:ef:filter:)`).
    public func nearest(to query: [Float], count k: Int, ef: Int? = nil, filter: SearchFilter? = nil) throws -> [SearchResult] {
        try read { try $0.nearest(to: query, count: k, ef: ef, filter: filter) }
    }

    /// The `count` stored vectors nearest to `query`, nearest first, by exhaustive search.
    public func exactNearest(to query: [Float], count k: Int, filter: SearchFilter? = nil) throws -> [SearchResult] {
        try read { try $0.exactNearest(to: query, count: k, filter: filter) }
    }
}
