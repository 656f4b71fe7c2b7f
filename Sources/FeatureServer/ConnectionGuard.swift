import NIOCore
import NIOHTTPTypes

/// Per connection, in the channel pipeline: closes a connection past `--max-connections` at once
/// (refused, rather than slowing everyone), and one whose request headers do not arrive within
/// the header timeout (slow or idle clients) or whose body does not within the body timeout.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let counters: ServerCounters
    private var counted = false
    private var readingRequest = false
    private var deadline: Scheduled<Void>?

    /// A guard applying `limits`, counting into `counters`.
    init(limits: ConnectionLimits, counters: ServerCounters) {
        self.limits = limits
        self.counters = counters
    }

    func handlerAdded(context: ChannelHandlerContext) {
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
            // the next request's headers are due within the header timeout, as the first's were
            arm(context: context, after: limits.headerTimeout, reason: counters.headerTimeouts)
        }
        context.write(data, promise: promise)
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
}
