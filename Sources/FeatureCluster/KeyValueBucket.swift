internal import CNATS
import Foundation

/// A value of a key-value bucket and the revision that wrote it.
public struct KeyValueEntry: Sendable {
    /// The value's bytes.
    public let value: [UInt8]
    /// The bucket-wide revision of this write: what a compare-and-set update names.
    public let revision: UInt64
}

/// A JetStream key-value bucket: replicated like a stream, with compare-and-set updates, so
/// every node and tool reads and changes the same shard map.
///
/// The C handle is created once and destroyed in `deinit`; the library synchronizes its use.
public final class KeyValueBucket: @unchecked Sendable {
    private let store: OpaquePointer
    private let connection: NATSConnection
    /// The bucket's name.
    public let name: String

    /// Opens bucket `name`, creating it (replicated `replicas` ways, one value per key kept) when missing.
    public init(_ connection: NATSConnection, name: String, replicas: Int) throws(NATSError) {
        self.connection = connection
        self.name = name
        var opened: OpaquePointer?
        if js_KeyValue(&opened, connection.jetStream, name) != NATS_OK || opened == nil {
            var config = kvConfig()
            kvConfig_Init(&config)
            config.History = 1
            config.Replicas = Int32(replicas)
            config.StorageType = js_FileStorage
            let status = name.withCString { cName in
                config.Bucket = cName
                return js_CreateKeyValue(&opened, connection.jetStream, &config)
            }
            // made by another node meanwhile: open that one
            if status != NATS_OK { try check(js_KeyValue(&opened, connection.jetStream, name), "open bucket \(name)") }
        }
        guard let opened else { throw NATSError(operation: "open bucket \(name)", text: "no bucket returned") }
        store = opened
    }

    deinit { kvStore_Destroy(store) }

    /// The value under `key`, or nil when there is none (or it was deleted).
    public func get(_ key: String) throws(NATSError) -> KeyValueEntry? {
        var entry: OpaquePointer?
        let status = kvStore_Get(&entry, store, key)
        if status == NATS_NOT_FOUND { return nil }
        try check(status, "get \(key) from \(name)")
        guard let entry else { return nil }
        defer { kvEntry_Destroy(entry) }
        let length = Int(kvEntry_ValueLen(entry))
        var value = [UInt8](repeating: 0, count: length)
        if length > 0, let bytes = kvEntry_Value(entry) {
            value.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: length)) }
        }
        return KeyValueEntry(value: value, revision: kvEntry_Revision(entry))
    }

    /// Writes `value` under `key` whatever was there; returns the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) throws(NATSError) -> UInt64 {
        var revision: UInt64 = 0
        try check(value.withUnsafeBytes { kvStore_Put(&revision, store, key, $0.baseAddress, Int32($0.count)) }, "put \(key) in \(name)")
        return revision
    }

    /// Writes `value` under `key` only if the key's last write was `revision` (0: only if it has
    /// no value); returns the new revision, or nil when another write came first.
    public func update(_ key: String, _ value: [UInt8], expecting revision: UInt64) throws(NATSError) -> UInt64? {
        var newRevision: UInt64 = 0
        let status = value.withUnsafeBytes { bytes in
            revision == 0
                ? kvStore_Create(&newRevision, store, key, bytes.baseAddress, Int32(bytes.count))
                : kvStore_Update(&newRevision, store, key, bytes.baseAddress, Int32(bytes.count), revision)
        }
        var lastStatus = NATS_OK
        let detail = nats_GetLastError(&lastStatus).map { String(cString: $0) } ?? ""
        // the C client reports a lost race as NATS_ERR with the server's "wrong last sequence" text
        if status != NATS_OK, detail.contains("wrong last sequence") || detail.contains("10071") { return nil }
        try check(status, "update \(key) in \(name)")
        return newRevision
    }

    /// Removes `key`.
    public func delete(_ key: String) throws(NATSError) {
        try check(kvStore_Delete(store, key), "delete \(key) from \(name)")
    }
}
