import Foundation
import NIOCore
import NIOHTTP1

/// The open loop: request i is due at start + i / rate whatever the server does, goes to the
/// idle connection that has waited longest (or waits in a queue for one), and its latency runs
/// from its due time to the end of its response, so a stalled server cannot hide its queue.
///
/// `@unchecked Sendable`: every stored property is read and written on `eventLoop` only (one
/// thread; methods assert it). Other threads only hand work to that loop and wait on `finished`.
final class LoadRun: @unchecked Sendable {
    /// What the run does, from the command line.
    struct Configuration: Sendable {
        var target: Target
        var connections: Int
        var rate: Double
        var duration: Double
        var warmup: Double
        /// A request not answered this long after its due time is an error (and its socket closed).
        var timeout: TimeAmount
        /// After the last request is due, how long outstanding ones may still take.
        var drain = TimeAmount.seconds(10)
        /// Connects started per second at most, so the server's listen backlog is not overrun.
        var connectRate: Double
        /// Connects under way at once at most.
        var maximumPendingConnects = 64
        var progressInterval = TimeAmount.seconds(5)
    }

    /// Where the run is.
    enum Phase { case connecting, running, draining, finished }

    let eventLoop: EventLoop
    let configuration: Configuration
    private let settings: Report.Settings
    private let workload: Workload
    private var plan: RequestPlan
    private let decoder = JSONDecoder()

    var phase = Phase.connecting
    var connections: [Connection]
    /// Slots that became idle, oldest first: taking from the front is round robin over idle connections.
    private var idle = CircularBuffer<Int>()
    /// Due requests waiting for an idle connection, oldest first.
    private var queue = CircularBuffer<PendingRequest>()
    private var inFlightCount = 0
    private var measurements = Measurements()
    private var start = NIODeadline.now()
    private var nextIndex = 0
    private let warmupRequests: Int
    private let totalRequests: Int
    private var completed = 0
    private var lastProgress = NIODeadline.now()
    private var tick: Scheduled<Void>?
    private var sweeper: RepeatedTask?
    private var drainEnd: Scheduled<Void>?
    private let finished: EventLoopPromise<Report>

    // connection upkeep (LoadRun+Connections.swift)
    var connectQueue = CircularBuffer<Int>()
    var pendingConnects = 0
    var openCount = 0
    var reconnects = 0
    var connectFailures = 0
    var lastConnectError: Error?
    var connectsStarted = 0
    var pacer: RepeatedTask?
    var connectingSince = NIODeadline.now()

    /// A run of `workload` per `configuration` on `eventLoop`, drawing request kinds from `plan`;
    /// `settings` are echoed in the report.
    init(configuration: Configuration, settings: Report.Settings, workload: Workload, plan: RequestPlan, eventLoop: EventLoop) {
        self.configuration = configuration
        self.settings = settings
        self.workload = workload
        self.plan = plan
        self.eventLoop = eventLoop
        connections = (0..<configuration.connections).map(Connection.init(slot:))
        warmupRequests = Int(configuration.warmup * configuration.rate)
        totalRequests = warmupRequests + Int(configuration.duration * configuration.rate)
        finished = eventLoop.makePromise(of: Report.self)
    }

    /// Opens the connections, runs, and ends with the report (or fails when no connection opens).
    func run() -> EventLoopFuture<Report> {
        eventLoop.execute { self.openConnections() }
        return finished.futureResult
    }

    /// Starts the clock once the connections are open: request 0 is due now.
    func beginRun() {
        eventLoop.assertInEventLoop()
        guard phase == .connecting else { return }
        phase = .running
        start = .now()
        lastProgress = start
        progress("\(openCount) of \(configuration.connections) connections open after "
            + String(format: "%.1f s", seconds(start - connectingSince))
            + (warmupRequests > 0 ? "; warming up for \(configuration.warmup) s" : "; measuring"))
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { _ in
            self.sweep()
        }
        scheduleDueRequests()
    }

    /// The due time of request `index`.
    private func dueTime(_ index: Int) -> NIODeadline {
        start + .nanoseconds(Int64((Double(index) * 1e9 / configuration.rate).rounded()))
    }

    /// Queues every request due by now, hands out what idle connections can take, and sleeps until the next is due.
    private func scheduleDueRequests() {
        let now = NIODeadline.now()
        while nextIndex < totalRequests, dueTime(nextIndex) <= now {
            queue.append(PendingRequest(index: nextIndex, kind: plan.next(index: nextIndex),
                                        scheduled: dueTime(nextIndex), measured: nextIndex >= warmupRequests))
            if nextIndex == warmupRequests, warmupRequests > 0 { progress("warm-up over; measuring") }
            nextIndex += 1
        }
        dispatch()
        if nextIndex < totalRequests {
            tick = eventLoop.scheduleTask(deadline: dueTime(nextIndex)) { self.scheduleDueRequests() }
        } else {
            phase = .draining
            let end = dueTime(totalRequests) + configuration.drain
            drainEnd = eventLoop.scheduleTask(deadline: end) { self.finish() }
            finishIfDrained()
        }
    }

    /// Sends queued requests on idle connections, oldest request to the longest-idle connection.
    func dispatch() {
        while !queue.isEmpty, let slot = takeIdle() {
            send(queue.removeFirst(), on: connections[slot])
        }
    }

    private func takeIdle() -> Int? {
        while let slot = idle.popFirst() {
            connections[slot].inIdleList = false
            if connections[slot].state == .idle { return slot }
        }
        return nil
    }

    /// Puts an open connection with nothing outstanding at the back of the idle list.
    func makeIdle(_ connection: Connection) {
        connection.state = .idle
        if !connection.inIdleList {
            connection.inIdleList = true
            idle.append(connection.slot)
        }
    }

    private func send(_ request: PendingRequest, on connection: Connection) {
        guard let channel = connection.channel else {
            preconditionFailure("connection \(connection.slot) is idle without a socket")
        }
        connection.state = .busy
        connection.inFlight = request
        inFlightCount += 1
        let (head, body) = workload.request(request.kind)
        let before = connection.counter?.bytes ?? 0
        // on the channel's loop these writes run through the pipeline at once, so the counter
        // has seen the whole request when they return
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        if request.measured, request.isSearch, let after = connection.counter?.bytes {
            measurements.recordSearchRequestSize(after - before)
        }
    }

    /// Takes the request outstanding on `connection`, if any.
    func takeInFlight(_ connection: Connection) -> PendingRequest? {
        guard let request = connection.inFlight else { return nil }
        connection.inFlight = nil
        inFlightCount -= 1
        return request
    }

    /// A response ended on socket `generation` of connection `slot`.
    func responseEnded(slot: Int, generation: Int, status: Int, body: ByteBuffer, keepAlive: Bool) {
        eventLoop.assertInEventLoop()
        let connection = connections[slot]
        guard connection.generation == generation, connection.channel != nil else { return }
        guard let request = takeInFlight(connection) else {
            // an answer to nothing: the exchange is out of step, so the socket cannot be trusted
            close(connection)
            return
        }
        connection.responses += 1
        complete(request, outcome(of: request, status: status, body: body))
        if keepAlive, connection.state == .busy {
            makeIdle(connection)
            dispatch()
        } else {
            close(connection)
        }
        finishIfDrained()
    }

    /// The response on socket `generation` of connection `slot` cannot be used; the socket is being closed.
    func responseFailed(slot: Int, generation: Int, outcome: Outcome) {
        eventLoop.assertInEventLoop()
        let connection = connections[slot]
        guard connection.generation == generation, let request = takeInFlight(connection) else { return }
        complete(request, outcome)
        finishIfDrained()
    }

    private struct SearchReply: Decodable { var ids: [UInt64] }
    private struct WriteReply: Decodable { var upserted: Int }

    private func outcome(of request: PendingRequest, status: Int, body: ByteBuffer) -> Outcome {
        guard (200..<300).contains(status) else { return .status(status) }
        let data = Data(body.readableBytesView)
        switch request.kind {
        case .search(let row):
            guard let reply = try? decoder.decode(SearchReply.self, from: data) else { return .unparseable }
            guard let truth = workload.truth else { return .success(status: status, recall: nil) }
            return .success(status: status, recall: recallAtK(returned: reply.ids, truth: truth[row], k: workload.k))
        case .write:
            guard (try? decoder.decode(WriteReply.self, from: data)) != nil else { return .unparseable }
            return .success(status: status, recall: nil)
        }
    }

    /// Records how `request` ended, if it is measured; its latency runs from its due time to now.
    func complete(_ request: PendingRequest, _ outcome: Outcome) {
        completed += 1
        guard request.measured else { return }
        let latency = NIODeadline.now() - request.scheduled
        measurements.record(outcome, isSearch: request.isSearch, latency: latency.nanoseconds)
    }

    /// Every 100 ms: times out requests (queued or sent) older than the timeout, and prints progress.
    private func sweep() {
        let now = NIODeadline.now()
        let expired = now - configuration.timeout
        while let oldest = queue.first, oldest.scheduled <= expired {
            complete(queue.removeFirst(), .timeout)
        }
        for connection in connections where connection.state == .busy {
            guard let request = connection.inFlight, request.scheduled <= expired else { continue }
            _ = takeInFlight(connection)
            complete(request, .timeout)
            // the answer may still come: the socket is out of step, so it is replaced
            close(connection)
        }
        if now - lastProgress >= configuration.progressInterval {
            lastProgress = now
            progress(String(format: "t=%.0fs", seconds(now - start))
                + " due=\(nextIndex) done=\(completed) errors=\(measurements.errors) queued=\(queue.count)"
                + " in_flight=\(inFlightCount) open=\(openCount) reconnects=\(reconnects)")
        }
        finishIfDrained()
    }

    func finishIfDrained() {
        if phase == .draining, queue.isEmpty, inFlightCount == 0 { finish() }
    }

    /// Ends the run: what is still queued or outstanding is a timeout; the sockets are closed.
    func finish() {
        eventLoop.assertInEventLoop()
        guard phase == .running || phase == .draining else { return }
        phase = .finished
        tick?.cancel()
        drainEnd?.cancel()
        sweeper?.cancel()
        pacer?.cancel()
        while let request = queue.popFirst() { complete(request, .timeout) }
        // counted before closing: a close on the loop reports channelInactive at once
        let open = openCount
        for connection in connections {
            if let request = takeInFlight(connection) { complete(request, .timeout) }
            connection.channel?.close(promise: nil)
        }
        progress("done: \(measurements.requests) measured requests, \(measurements.errors) errors")
        finished.succeed(measurements.report(settings, hasTruth: workload.truth != nil,
                                             connectionsOpen: open, reconnects: reconnects))
    }

    /// Ends the run without a report.
    func fail(_ error: Error) {
        phase = .finished
        pacer?.cancel()
        for connection in connections { connection.channel?.close(promise: nil) }
        finished.fail(error)
    }

    func seconds(_ amount: TimeAmount) -> Double { Double(amount.nanoseconds) / 1e9 }

    /// A progress line on stderr.
    func progress(_ line: String) {
        FileHandle.standardError.write(Data("[fmdb-load] \(line)\n".utf8))
    }
}
