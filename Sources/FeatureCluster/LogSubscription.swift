internal import CNATS
import Foundation

/// One message of a stream: its sequence and its bytes.
public struct LogEntry: Sendable {
    /// The stream sequence, from 1, without gaps unless the stream was purged.
    public let sequence: UInt64
    /// The message's payload.
    public let data: [UInt8]
    /// Messages in the stream after this one when it was delivered: how far the reader is behind.
    public let pending: UInt64

    /// An entry (made by tests and by `LogSubscription`).
    public init(sequence: UInt64, data: [UInt8], pending: UInt64 = 0) {
        self.sequence = sequence
        self.data = data
        self.pending = pending
    }
}

/// Reads a stream in order from a given sequence: an ordered consumer, which the client
/// re-creates by itself after a gap or a lost server, so entries arrive once each and in order.
///
/// Used from one thread at a time (the shard's applier); the handle is destroyed in `deinit`.
public final class LogSubscription: @unchecked Sendable {
    private let subscription: OpaquePointer
    private let connection: NATSConnection
    /// The stream read.
    public let stream: String

    /// Starts reading stream `stream` (over `subject`) at `sequence`.
    public init(_ connection: NATSConnection, stream: String, subject: String, from sequence: UInt64) throws(NATSError) {
        self.connection = connection
        self.stream = stream
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        options.Ordered = true
        options.Config.DeliverPolicy = js_DeliverByStartSequence
        options.Config.OptStartSeq = max(sequence, 1)
        // missed heartbeats are how the client notices a consumer lost with its server
        options.Config.Heartbeat = 1_000_000_000
        var made: OpaquePointer?
        var code = jsErrCode(0)
        let status = stream.withCString { cStream in
            options.Stream = cStream
            return js_SubscribeSync(&made, connection.jetStream, subject, nil, &options, &code)
        }
        try check(status, code, "subscribe to \(stream) from \(sequence)")
        guard let made else { throw NATSError(operation: "subscribe to \(stream)", text: "no subscription returned") }
        subscription = made
    }

    deinit {
        natsSubscription_Unsubscribe(subscription)
        natsSubscription_Destroy(subscription)
    }

    /// The next entry, or nil when none came within `timeout`.
    public func next(timeout: Duration) throws(NATSError) -> LogEntry? {
        var message: OpaquePointer?
        let milliseconds = max(1, timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let status = natsSubscription_NextMsg(&message, subscription, milliseconds)
        if status == NATS_TIMEOUT { return nil }
        try check(status, "read \(stream)")
        guard let message else { return nil }
        defer { natsMsg_Destroy(message) }
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        try check(natsMsg_GetMetaData(&meta, message), "read the metadata of a message of \(stream)")
        guard let meta else { throw NATSError(operation: "read \(stream)", text: "a message without metadata") }
        defer { jsMsgMetaData_Destroy(meta) }
        let length = Int(natsMsg_GetDataLength(message))
        let data: [UInt8] = length == 0 ? [] : natsMsg_GetData(message).withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
        return LogEntry(sequence: meta.pointee.Sequence.Stream, data: data, pending: meta.pointee.NumPending)
    }
}
