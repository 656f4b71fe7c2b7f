import NIOCore
import NIOHTTPTypes

/// Per connection, in the channel pipeline: closes a connection past `--max-connections` at once
/// (refused, rather than slowing everyone), and one whose request headers do not arrive within
/// the header timeout of its first byte (or of the connection's start), whose body does not
/// within the body timeout, or that stays idle between requests past the idle timeout.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let counters: ServerCounters
    private var counted = false
    private var readingRequest = false
    private var idle = false
    private var deadline: Scheduled<Void>?

    /// A guard applying `limits`, counting into `counters`.
    init(limits: ConnectionLimits, counters: ServerCounters) {
        self.limits = limits
        self.counters = counters
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // the first bytes of a request reach the pipeline's head long before a whole head is
        // decoded here: a watcher there starts the header clock
        let loopSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        try? context.pipeline.syncOperations.addHandler(
            FirstByteWatcher { loopSelf.value.bytesArrived(context: loopContext.value) }, position: .first)
        if context.channel.isActive { opened(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        opened(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            idle = false
            arm(context: context, after: limits.bodyTimeout, reason: nil)
        case .body:
            break
        case .end:
            readingRequest = false
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), !readingRequest {
            idle = true
            arm(context: context, after: limits.idleTimeout, reason: nil)
        }
        context.write(data, promise: promise)
    }

    /// Bytes came in: on an idle connection they begin a request, whose headers are now due.
    private func bytesArrived(context: ChannelHandlerContext) {
        guard idle, !readingRequest else { return }
        idle = false
        arm(context: context, after: limits.headerTimeout, reason: counters.headerTimeouts)
    }

    private func opened(context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        let open = counters.connections.wrappingAdd(1, ordering: .relaxed).newValue
        if open > limits.maximumConnections {
            counters.connectionsRefused.add()
            context.close(promise: nil)
            return
        }
        arm(context: context, after: limits.headerTimeout, reason: counters.headerTimeouts)
    }

    private func closed() {
        deadline?.cancel()
        deadline = nil
        if counted {
            counted = false
            counters.connections.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    private func arm(context: ChannelHandlerContext, after timeout: TimeAmount, reason: ServerCounters.Counter?) {
        deadline?.cancel()
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            reason?.add()
            loopContext.value.close(promise: nil)
        }
    }
}

/// The connection limits of a server.
struct ConnectionLimits: Sendable {
    /// Connections open at once; more are closed as they arrive.
    var maximumConnections: Int
    /// Time for a request's headers to arrive (from the connection's start or the last response).
    var headerTimeout: TimeAmount
    /// Time for a request's body to arrive after its headers.
    var bodyTimeout: TimeAmount
    /// Time a connection may wait between a response and the next request's first byte.
    var idleTimeout: TimeAmount
}

/// At the head of the pipeline: tells the guard whenever bytes arrive.
private final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let arrived: () -> Void

    init(_ arrived: @escaping () -> Void) { self.arrived = arrived }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived()
        context.fireChannelRead(data)
    }
}
