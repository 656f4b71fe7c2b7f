internal import CNATS

/// Why a NATS or JetStream call failed: the client's status, the JetStream error code when the
/// server gave one, and what was being done.
public struct NATSError: Error, Sendable, CustomStringConvertible {
    /// The client's status code (`natsStatus`).
    public let status: Int32
    /// JetStream's error code (0 when the server gave none), such as 10_071 for a wrong last sequence.
    public let jetStreamCode: Int32
    /// What was being done, for the message.
    public let operation: String
    /// The client's text for the status.
    public let text: String

    init(status: natsStatus, jetStreamCode: jsErrCode = jsErrCode(0), operation: String) {
        self.status = Int32(status.rawValue)
        self.jetStreamCode = Int32(jetStreamCode.rawValue)
        self.operation = operation
        var lastStatus = NATS_OK
        let detail = nats_GetLastError(&lastStatus).map { String(cString: $0) } ?? ""
        let base = String(cString: natsStatus_GetText(status))
        self.text = detail.isEmpty || detail == base ? base : "\(base): \(detail)"
    }

    /// A failure of our own making (a reply that could not be read), with `text` as its reason.
    init(operation: String, text: String) {
        self.status = Int32(NATS_ERR.rawValue)
        self.jetStreamCode = 0
        self.operation = operation
        self.text = text
    }

    /// The call timed out (the server may or may not have done it).
    public var isTimeout: Bool { status == Int32(NATS_TIMEOUT.rawValue) }
    /// Nothing answered: no server, or JetStream without a leader yet.
    public var isNoResponders: Bool { status == Int32(NATS_NO_RESPONDERS.rawValue) }
    /// The key exists already (a create) or changed since it was read (an update): JetStream's wrong last sequence.
    public var isWrongLastSequence: Bool { jetStreamCode == 10_071 }
    /// The key or message is not there.
    public var isNotFound: Bool { status == Int32(NATS_NOT_FOUND.rawValue) }
    /// Worth trying again with the same message id: a timeout, no responders, a lost connection
    /// or JetStream's "cluster not ready" answers during a leader election.
    public var isTransient: Bool {
        isTimeout || isNoResponders || status == Int32(NATS_CONNECTION_CLOSED.rawValue)
            || status == Int32(NATS_CONNECTION_DISCONNECTED.rawValue) || status == Int32(NATS_STALE_CONNECTION.rawValue)
            || status == Int32(NATS_IO_ERROR.rawValue) || [10_008, 10_009].contains(jetStreamCode)
            || (status == Int32(NATS_ERR.rawValue) && jetStreamCode == 0 && !isWrongLastSequence)
    }

    /// "publish to fmdb.c.0 failed: timeout (JetStream error 10008)".
    public var description: String {
        "\(operation) failed: \(text)" + (jetStreamCode != 0 ? " (JetStream error \(jetStreamCode))" : "")
    }
}

/// Throws unless `status` is `NATS_OK`.
func check(_ status: natsStatus, _ operation: @autoclosure () -> String) throws(NATSError) {
    guard status == NATS_OK else { throw NATSError(status: status, operation: operation()) }
}

/// Throws unless `status` is `NATS_OK`, with JetStream's error `code`.
func check(_ status: natsStatus, _ code: jsErrCode, _ operation: @autoclosure () -> String) throws(NATSError) {
    guard status == NATS_OK else { throw NATSError(status: status, jetStreamCode: code, operation: operation()) }
}
