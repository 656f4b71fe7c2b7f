import NIOCore
import NIOHTTP1
import NIOPosix

/// Opening the connections at a bounded pace, and reopening those the server closed.
extension LoadRun {
    /// Queues every slot for a connect and starts the pacer; the run begins once all are open,
    /// or at a deadline with those that are.
    func openConnections() {
        eventLoop.assertInEventLoop()
        connectingSince = .now()
        for connection in connections { connectQueue.append(connection.slot) }
        // ticks of 10 ms: fine enough for rates to a few thousand connects per second
        pacer = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { _ in self.pace() }
        let patience = max(10, 3 * Double(configuration.connections) / configuration.connectRate)
        eventLoop.scheduleTask(in: .nanoseconds(Int64(patience * 1e9))) { self.connectDeadline() }
        progress("opening \(configuration.connections) connections to \(configuration.target.host):\(configuration.target.port)"
            + " at up to \(Int(configuration.connectRate))/s")
    }

    private func connectDeadline() {
        guard phase == .connecting else { return }
        guard openCount > 0 else {
            let reason = lastConnectError.map { "\($0)" } ?? "no answer"
            fail(LoadError.cannotConnect("no connection to \(configuration.target.host):\(configuration.target.port) opened: \(reason)"))
            return
        }
        progress("warning: only \(openCount) of \(configuration.connections) connections opened; running with them")
        beginRun()
    }

    /// Starts as many queued connects as the pace and the pending limit allow.
    private func pace() {
        guard phase != .finished else { return }
        let elapsed = seconds(.now() - connectingSince)
        // a budget that accrues with time, so a late tick catches up but never bursts beyond one tick's worth
        let allowed = Int(elapsed * configuration.connectRate) + 1
        connectsStarted = max(connectsStarted, allowed - max(1, Int(configuration.connectRate / 100)))
        while connectsStarted < allowed, pendingConnects < configuration.maximumPendingConnects,
              let slot = connectQueue.popFirst() {
            connectsStarted += 1
            connect(connections[slot])
        }
    }

    private func connect(_ connection: Connection) {
        connection.generation += 1
        connection.state = .connecting
        connection.responses = 0
        pendingConnects += 1
        let generation = connection.generation
        let slot = connection.slot
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let counter = ByteCounter()
                    try channel.pipeline.syncOperations.addHandler(counter)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(run: self, slot: slot, generation: generation))
                    // the initializer runs on the run's loop (the bootstrap's group is that loop)
                    self.connections[slot].counter = counter
                }
            }
            .connect(host: configuration.target.host, port: configuration.target.port)
            .whenComplete { result in
                self.pendingConnects -= 1
                switch result {
                case .success(let channel): self.connected(connection: self.connections[slot], generation: generation, channel: channel)
                case .failure(let error): self.connectFailed(self.connections[slot], generation: generation, error: error)
                }
            }
    }

    private func connected(connection: Connection, generation: Int, channel: Channel) {
        guard phase != .finished, connection.generation == generation, connection.state == .connecting else {
            channel.close(promise: nil)
            return
        }
        connection.channel = channel
        openCount += 1
        makeIdle(connection)
        if phase == .connecting {
            if openCount == configuration.connections { beginRun() }
        } else {
            dispatch()
        }
    }

    private func connectFailed(_ connection: Connection, generation: Int, error: Error) {
        guard connection.generation == generation else { return }
        connectFailures += 1
        lastConnectError = error
        connection.state = .disconnected
        connection.counter = nil
        retry(connection)
    }

    /// Socket `generation` of connection `slot` closed: its outstanding request failed, and the slot reconnects.
    func connectionClosed(slot: Int, generation: Int) {
        eventLoop.assertInEventLoop()
        let connection = connections[slot]
        guard connection.generation == generation, connection.channel != nil else { return }
        if let request = takeInFlight(connection) { complete(request, .connectionFailure) }
        connection.channel = nil
        connection.counter = nil
        connection.state = .disconnected
        openCount -= 1
        guard phase != .finished else { return }
        reconnects += 1
        retry(connection)
        finishIfDrained()
    }

    /// Queues `connection` for a connect: at once after a socket that answered, after a growing
    /// pause (0.1 s doubling to 2 s) after failures, so a server refusing connections is not hammered.
    private func retry(_ connection: Connection) {
        guard phase != .finished else { return }
        if connection.responses > 0 {
            connection.failedConnects = 0
            connectQueue.append(connection.slot)
            return
        }
        connection.failedConnects += 1
        let pause = min(2000, 100 << min(connection.failedConnects - 1, 5))
        let slot = connection.slot
        eventLoop.scheduleTask(in: .milliseconds(Int64(pause))) {
            if self.phase != .finished, self.connections[slot].state == .disconnected { self.connectQueue.append(slot) }
        }
    }

    /// Closes the socket of `connection`; its `channelInactive` then reconnects the slot.
    func close(_ connection: Connection) {
        connection.state = .closing
        connection.channel?.close(promise: nil)
    }
}

/// Why a run could not take place.
enum LoadError: Error, CustomStringConvertible {
    /// No connection to the server opened before the deadline.
    case cannotConnect(String)

    var description: String {
        switch self {
        case .cannotConnect(let reason): reason
        }
    }
}
