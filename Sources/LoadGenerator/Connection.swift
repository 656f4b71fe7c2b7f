import NIOCore
import NIOHTTP1

/// A request from its scheduled time until it ends (a response, a failure or a timeout).
struct PendingRequest {
    /// Its number in the schedule: it is due at start + index / rate.
    let index: Int
    /// What it asks for.
    let kind: Workload.Kind
    /// When the open loop wanted it sent; its latency runs from here, not from when it was sent.
    let scheduled: NIODeadline
    /// False during warm-up: such requests are sent but not recorded.
    let measured: Bool

    /// Whether it is a search (else an upsert).
    var isSearch: Bool {
        if case .search = kind { return true }
        return false
    }
}

/// One of the run's keep-alive connections, known by its slot number. It lives on the run's event
/// loop, like the run itself.
final class Connection {
    /// Where the connection is in its life.
    enum State {
        /// No socket; waiting to be (re)connected.
        case disconnected
        /// A connect is under way.
        case connecting
        /// Open, with no request outstanding.
        case idle
        /// Open, with `inFlight` outstanding.
        case busy
        /// Being closed (the server said `Connection: close`, or a request timed out); a
        /// reconnect follows its `channelInactive`.
        case closing
    }

    /// Index in the run's connection list.
    let slot: Int
    /// Where it is in its life.
    var state = State.disconnected
    /// The open socket, in states `idle`, `busy` and `closing`.
    var channel: Channel?
    /// Bytes written to `channel`, to size each request exactly as it went out.
    var counter: ByteCounter?
    /// Counts connects, so that events of a closed socket are not taken for its successor's.
    var generation = 0
    /// The request sent and not yet answered.
    var inFlight: PendingRequest?
    /// Whether the slot is in the run's idle list (which may hold slots that stopped being idle).
    var inIdleList = false
    /// Connects in a row that failed or were closed before any response: the reconnect backoff.
    var failedConnects = 0
    /// Responses on the current socket; a socket closed with none counts as a failed connect.
    var responses = 0

    /// A disconnected slot.
    init(slot: Int) { self.slot = slot }
}

/// Counts the bytes written to a socket. It sits nearest the socket, after the HTTP encoder.
final class ByteCounter: ChannelOutboundHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Bytes written so far.
    private(set) var bytes = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        bytes += unwrapOutboundIn(data).readableBytes
        context.write(data, promise: promise)
    }
}

/// Collects one HTTP response at a time and hands it to the run; reports the socket's end.
final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    /// A response body larger than this is refused (the routes answer a few kilobytes), so a broken
    /// server cannot make the generator buffer without end.
    static let maximumBodyBytes = 16 << 20

    private let run: LoadRun
    private let slot: Int
    private let generation: Int
    private var status = 0
    private var keepAlive = true
    private var body: ByteBuffer?

    /// A handler reporting to `run` as connection `slot`, socket number `generation`.
    init(run: LoadRun, slot: Int, generation: Int) {
        self.run = run
        self.slot = slot
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            body = nil
        case .body(var part):
            guard (body?.readableBytes ?? 0) + part.readableBytes <= Self.maximumBodyBytes else {
                run.responseFailed(slot: slot, generation: generation, outcome: .unparseable)
                context.close(promise: nil)
                return
            }
            body.setOrWriteBuffer(&part)
        case .end:
            let response = body ?? ByteBuffer()
            body = nil
            run.responseEnded(slot: slot, generation: generation, status: status, body: response, keepAlive: keepAlive)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        run.connectionClosed(slot: slot, generation: generation)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // bytes that are not HTTP: the request they answer is unparseable, not a connection failure
        if error is HTTPParserError { run.responseFailed(slot: slot, generation: generation, outcome: .unparseable) }
        context.close(promise: nil)
    }
}
