extension WriteTransaction {
    /// Writes `fields` as the metadata record of `id` as they are, times, support and confidence
    /// included: salvage copies records that `put` has just stored with fresh ones. The label must
    /// be the one `put` stored, so that the label index stays right.
    func restoreMetadata(_ fields: MetadataRecord.Fields, for id: UInt64) throws {
        try ensureOpen()
        guard let node = try node(for: id) else { throw StoreError.unknownID(id) }
        let record = MetadataRecord.encode(fields)
        try node.withKeyBytes { key in
            try record.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.patterns) }
        }
    }
}
