import Foundation

/// Attachments: named blobs kept in the store beside the vectors, such as the statistics features
/// are normalized with. They live in the `meta` table under a prefix of their own, so they commit
/// and roll back with the vectors written in the same transaction.
extension FeatureStore {
    /// Names of attachments are at most this many UTF-8 bytes.
    public static let maximumAttachmentNameBytes = 200

    /// Stores `data` under `name` in the store, in its own durable transaction (nil removes it): a
    /// place for what belongs with the vectors, such as the statistics features are normalized with.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing: use `WriteTransaction.setAttachment(_:named:)` there.
    public func setAttachment(_ data: Data?, named name: String) throws {
        try write { try $0.setAttachment(data, named: name) }
    }

    /// The attachment stored under `name`, or nil, read in a snapshot of its own.
    public func attachment(named name: String) throws -> Data? {
        try read { try $0.attachment(named: name) }
    }

    /// The `meta` key of the attachment `name`; throws `invalidArgument` for an empty name, one
    /// longer than `maximumAttachmentNameBytes`, or one holding NUL.
    static func attachmentKey(_ name: String) throws(StoreError) -> [UInt8] {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumAttachmentNameBytes, !bytes.contains(0) else {
            throw .invalidArgument("an attachment name must be 1…\(maximumAttachmentNameBytes) UTF-8 bytes without NUL")
        }
        // a prefix keeps attachments apart from the store's own meta keys
        return Array("attachment/".utf8) + bytes
    }

    /// Meta keys that held, before attachments existed, what an attachment of that name holds now:
    /// read when the attachment is absent, removed when it is written.
    static let legacyAttachmentKeys: [String: String] = ["patterns/calibration": "pattern_calibration"]
}

extension ReadTransaction {
    /// The attachment stored under `name` as this transaction sees it (its own writes included), or nil.
    public func attachment(named name: String) throws -> Data? {
        try ensureOpen()
        let key = try FeatureStore.attachmentKey(name)
        let found = try key.withUnsafeBytes { key in
            try txn.withValue(in: tables.meta, forKey: key) { Data($0) }
        }
        guard found == nil, let legacy = FeatureStore.legacyAttachmentKeys[name] else { return found }
        return try Array(legacy.utf8).withUnsafeBytes { key in
            try txn.withValue(in: tables.meta, forKey: key) { Data($0) }
        }
    }
}

extension WriteTransaction {
    /// Stores `data` under `name` (nil removes it), committed or rolled back with the rest of
    /// the transaction.
    public func setAttachment(_ data: Data?, named name: String) throws {
        try ensureOpen()
        let key = try FeatureStore.attachmentKey(name)
        try key.withUnsafeBytes { key in
            if let data {
                try data.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.meta) }
            } else {
                _ = try txn.delete(key, in: tables.meta)
            }
        }
        if let legacy = FeatureStore.legacyAttachmentKeys[name] {
            _ = try Array(legacy.utf8).withUnsafeBytes { try txn.delete($0, in: tables.meta) }
        }
    }
}
