import Foundation

extension FeatureStore {
    /// Saves the nodes the node cache holds now as the hot set the next opening warms up with,
    /// with an image of their entries that an opening of the same snapshot loads in one read
    /// (writes also save the node list, at most once a minute, in their own transactions).
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func saveHotSet() throws {
        guard let nodeCache else { return }
        try write { writer in
            try writeHotSet(in: writer)
            try writer.txn.setBytes(nodeCache.image(validAt: UInt64(writer.txn.snapshotID)), for: .cacheImage, in: writer.tables.meta)
        }
    }

    /// Puts the hot set into `writer`'s transaction.
    func writeHotSet(in writer: WriteTransaction) throws {
        guard let nodeCache else { return }
        let nodes = nodeCache.cachedNodes(limit: nodeCache.capacity)
        guard !nodes.isEmpty else { return }
        var bytes = [UInt8]()
        bytes.reserveCapacity(nodes.count * 4)
        for node in nodes { withUnsafeBytes(of: node.littleEndian) { bytes.append(contentsOf: $0) } }
        try writer.txn.setBytes(bytes, for: .hotSet, in: writer.tables.meta)
        // operators read how the cache did with `fmdb stats`, from another process
        if let statistics = cacheStatistics, let json = try? JSONEncoder().encode(statistics) {
            try writer.txn.setBytes(json, for: .cacheStatistics, in: writer.tables.meta)
        }
    }
}

extension ReadTransaction {
    /// Entries of the saved node cache image; 0 when none.
    func savedCacheImageEntries() throws -> Int {
        try txn.withBytes(of: .cacheImage, in: tables.meta) { bytes -> Int in
            bytes.count >= NodeCache.imageHeaderSize ? Int(bytes.littleEndian(at: 24, as: UInt32.self)) : 0
        } ?? 0
    }

    /// The node cache statistics saved with the hot set, if any.
    func savedCacheStatistics() throws -> CacheStatistics? {
        try txn.withBytes(of: .cacheStatistics, in: tables.meta) { try? JSONDecoder().decode(CacheStatistics.self, from: Data($0)) } ?? nil
    }

    /// The hot set saved by `FeatureStore.saveHotSet`; empty when none.
    func savedHotSet() throws -> [UInt32] {
        try txn.savedHotSet(in: tables.meta)
    }
}
