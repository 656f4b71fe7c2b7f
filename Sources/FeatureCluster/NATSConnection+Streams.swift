internal import CNATS
import Foundation

/// The first and last sequence of a stream, and how many messages it holds.
public struct StreamState: Sendable, Equatable {
    /// The oldest sequence still held (last + 1 when the stream is empty).
    public var firstSequence: UInt64
    /// The newest sequence (0 when nothing was ever published).
    public var lastSequence: UInt64
    /// Messages held.
    public var messages: UInt64
}

extension NATSConnection {
    /// Makes the file-backed stream `name` over `subject`, replicated `replicas` ways, unless it
    /// exists; de-duplicates message ids over `duplicateWindow`. Returns its state.
    @discardableResult
    public func ensureStream(_ name: String, subject: String, replicas: Int, duplicateWindow: Duration = .seconds(120)) throws(NATSError) -> StreamState {
        if let state = try? streamState(name) { return state }
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(0)
        let status = name.withCString { cName in
            subject.withCString { cSubject -> natsStatus in
                var subjects: [UnsafePointer<CChar>?] = [cSubject]
                return subjects.withUnsafeMutableBufferPointer { list in
                    config.Name = cName
                    config.Subjects = list.baseAddress
                    config.SubjectsLen = 1
                    config.Storage = js_FileStorage
                    config.Retention = js_LimitsPolicy
                    config.Replicas = Int64(replicas)
                    config.Duplicates = Int64(duplicateWindow.components.seconds) * 1_000_000_000
                    return js_AddStream(&info, jetStream, &config, nil, &code)
                }
            }
        }
        defer { if let info { jsStreamInfo_Destroy(info) } }
        // another node made it between our look and our add: fine
        if status != NATS_OK, code.rawValue == 10_058, let state = try? streamState(name) { return state }
        try check(status, code, "create stream \(name)")
        guard let info else { throw NATSError(operation: "create stream \(name)", text: "no stream info returned") }
        return StreamState(firstSequence: info.pointee.State.FirstSeq, lastSequence: info.pointee.State.LastSeq, messages: info.pointee.State.Msgs)
    }

    /// The stream's sequences now, from its leader.
    public func streamState(_ name: String) throws(NATSError) -> StreamState {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(0)
        let status = js_GetStreamInfo(&info, jetStream, name, nil, &code)
        defer { if let info { jsStreamInfo_Destroy(info) } }
        try check(status, code, "stream info \(name)")
        guard let info else { throw NATSError(operation: "stream info \(name)", text: "no stream info returned") }
        return StreamState(firstSequence: info.pointee.State.FirstSeq, lastSequence: info.pointee.State.LastSeq, messages: info.pointee.State.Msgs)
    }

    /// Removes the messages of stream `name` below `sequence` (kept: `sequence` and later).
    public func purge(_ name: String, below sequence: UInt64) throws(NATSError) {
        var options = jsOptions()
        jsOptions_Init(&options)
        options.Stream.Purge.Sequence = sequence
        var code = jsErrCode(0)
        try check(js_PurgeStream(jetStream, name, &options, &code), code, "purge \(name) below \(sequence)")
    }

    /// Deletes stream `name` and its messages; nothing when it does not exist.
    public func deleteStream(_ name: String) throws(NATSError) {
        var code = jsErrCode(0)
        let status = js_DeleteStream(jetStream, name, nil, &code)
        if status == NATS_NOT_FOUND || code.rawValue == 10_059 { return }
        try check(status, code, "delete stream \(name)")
    }

    /// Publishes `data` to `subject` with message id `messageID` and returns the stream sequence
    /// JetStream acknowledged (the first one's, when this is a duplicate of an earlier publish).
    /// Retries with the same id — so the message is stored once — while the failure is transient
    /// (a leader election, a lost connection) and `deadline` has not passed.
    public func publish(_ data: [UInt8], to subject: String, messageID: String, stream: String, deadline: ContinuousClock.Instant) throws(NATSError) -> UInt64 {
        var lastError = NATSError(operation: "publish to \(subject)", text: "deadline passed before the first try")
        var pause = Duration.milliseconds(50)
        while ContinuousClock.now < deadline {
            let remaining = deadline - ContinuousClock.now
            let waitMilliseconds = max(100, min(5_000, Int64(remaining.components.seconds * 1_000 + remaining.components.attoseconds / 1_000_000_000_000_000)))
            do {
                return try publishOnce(data, to: subject, messageID: messageID, stream: stream, waitMilliseconds: waitMilliseconds)
            } catch {
                lastError = error
                guard error.isTransient else { throw error }
            }
            Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
            pause = min(pause * 2, .milliseconds(500))
        }
        throw lastError
    }

    private func publishOnce(_ data: [UInt8], to subject: String, messageID: String, stream: String, waitMilliseconds: Int64) throws(NATSError) -> UInt64 {
        var ack: UnsafeMutablePointer<jsPubAck>?
        var code = jsErrCode(0)
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = waitMilliseconds
        let status = messageID.withCString { cID in
            stream.withCString { cStream in
                options.MsgId = cID
                options.ExpectStream = cStream
                return data.withUnsafeBytes { bytes in
                    js_Publish(&ack, jetStream, subject, bytes.baseAddress, Int32(bytes.count), &options, &code)
                }
            }
        }
        defer { if let ack { jsPubAck_Destroy(ack) } }
        try check(status, code, "publish to \(subject)")
        guard let ack else { throw NATSError(operation: "publish to \(subject)", text: "no acknowledgement returned") }
        return ack.pointee.Sequence
    }
}
