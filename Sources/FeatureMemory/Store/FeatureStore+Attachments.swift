import Foundation

extension FeatureStore {
    /// Names of attachments are at most this many UTF-8 bytes.
    public static let maximumAttachmentNameBytes = 200

    /// Stores `data` under `name` in the store, in its own durable transaction (nil removes it): a
    /// place for what belongs with the vectors, such as the statistics features are normalized with.
    ///
    /// Runs in a write transaction of its own, which may run again after the map grows (see
    /// `write(_:)`); a retry is invisible here, as the call changes nothing outside the store.
    /// Called inside a `write` block on the same thread, it throws `StoreError.nestedWrite` and
    /// writes nothing.
    public func setAttachment(_ data: Data?, named name: String) throws {
        let key = try Self.attachmentKey(name)
        try write { writer in
            try key.withUnsafeBytes { key in
                if let data {
                    try data.withUnsafeBytes { try writer.txn.put($0, forKey: key, in: writer.tables.meta) }
                } else {
                    _ = try writer.txn.delete(key, in: writer.tables.meta)
                }
            }
        }
    }

    /// The attachment stored under `name`, or nil.
    public func attachment(named name: String) throws -> Data? {
        let key = try Self.attachmentKey(name)
        return try read { reader in
            try key.withUnsafeBytes { key in
                try reader.txn.withValue(in: reader.tables.meta, forKey: key) { Data($0) }
            }
        }
    }

    private static func attachmentKey(_ name: String) throws -> [UInt8] {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumAttachmentNameBytes, !bytes.contains(0) else {
            throw StoreError.invalidArgument("an attachment name must be 1…\(maximumAttachmentNameBytes) UTF-8 bytes without NUL")
        }
        // a prefix keeps attachments apart from the store's own meta keys
        return Array("attachment/".utf8) + bytes
    }
}
