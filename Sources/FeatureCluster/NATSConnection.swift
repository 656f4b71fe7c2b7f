internal import CNATS
import Foundation

/// One connection to a NATS cluster and its JetStream context, reconnecting for ever: the client
/// library is thread-safe, so one connection serves every thread of a process.
///
/// The C handles are created once and destroyed in `deinit`; the library synchronizes calls on
/// them internally, which is what makes this `@unchecked Sendable` safe.
public final class NATSConnection: @unchecked Sendable {
    let connection: OpaquePointer
    let jetStream: OpaquePointer
    /// The servers, as given.
    public let urls: [String]

    /// Connects to `urls` (`nats://host:port`, any of the cluster's servers); waits at most
    /// `timeout` for the first connection. `name` shows in the servers' connection lists.
    public init(urls: [String], name: String, timeout: Duration = .seconds(10)) throws(NATSError) {
        guard !urls.isEmpty else { throw NATSError(operation: "connect", text: "no NATS server URL given") }
        self.urls = urls
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "natsOptions_Create")
        defer { natsOptions_Destroy(options) }
        let cURLs = urls.map { strdup($0) }
        defer { cURLs.forEach { free($0) } }
        var pointers = cURLs.map { UnsafePointer<CChar>($0) }
        try check(pointers.withUnsafeMutableBufferPointer { natsOptions_SetServers(options, $0.baseAddress, Int32($0.count)) }, "set servers \(urls)")
        try check(natsOptions_SetName(options, name), "set name")
        // a node outlives any server: reconnect for ever, quickly, and keep what was published
        // while disconnected in a bounded buffer (publishes wait for acknowledgements anyway)
        try check(natsOptions_SetMaxReconnect(options, -1), "set max reconnect")
        try check(natsOptions_SetReconnectWait(options, 250), "set reconnect wait")
        try check(natsOptions_SetTimeout(options, Int64(timeout.components.seconds * 1_000)), "set timeout")
        try check(natsOptions_SetPingInterval(options, 2_000), "set ping interval")
        try check(natsOptions_SetMaxPingsOut(options, 2), "set max pings out")
        var made: OpaquePointer?
        try check(natsConnection_Connect(&made, options), "connect to \(urls.joined(separator: ","))")
        guard let made else { throw NATSError(operation: "connect", text: "no connection returned") }
        var context: OpaquePointer?
        var jsOptions = jsOptions()
        jsOptions_Init(&jsOptions)
        jsOptions.Wait = 5_000
        let status = natsConnection_JetStream(&context, made, &jsOptions)
        guard status == NATS_OK, let context else {
            natsConnection_Destroy(made)
            throw NATSError(status: status, operation: "JetStream context")
        }
        connection = made
        jetStream = context
    }

    deinit {
        jsCtx_Destroy(jetStream)
        natsConnection_Close(connection)
        natsConnection_Destroy(connection)
    }

    /// Whether the connection is up now (not reconnecting or closed).
    public var isConnected: Bool { natsConnection_Status(connection) == NATS_CONN_STATUS_CONNECTED }
}

/// Splits `nats://a:4222,nats://b:4222` into its URLs; throws on an empty list or a URL of another scheme.
public func natsURLs(_ list: String) throws(NATSError) -> [String] {
    let urls = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !urls.isEmpty, urls.allSatisfy({ $0.hasPrefix("nats://") || $0.hasPrefix("tls://") }) else {
        throw NATSError(operation: "read --cluster", text: "give nats://HOST:PORT[,nats://HOST:PORT...], got \"\(list)\"")
    }
    return urls
}
