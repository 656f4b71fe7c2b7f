import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `fmdb serve DIR --port 0` process on loopback, for one test: started, waited for until
/// it prints its listening line, and stopped with SIGTERM.
final class ServerProcess {
    /// The served directory.
    let directory: URL
    /// `http://127.0.0.1:PORT` (or https), as the server printed it.
    let url: String
    /// The port it listens on.
    let port: Int
    private let process: Process
    private let outputFile: URL
    private let errorFile: URL
    private let exit: ExitTime

    /// How long a debug build on a busy two-core machine may take to start listening.
    static let startTimeout: Duration = .seconds(60)
    /// How long a graceful stop may take (requests in flight finish, stores close).
    static let stopTimeout: Duration = .seconds(30)

    /// The binary: $FMDB_BINARY, or `fmdb` beside the test bundle (both are build products).
    static let binary: URL? = {
        if let path = ProcessInfo.processInfo.environment["FMDB_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("fmdb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/fmdb")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }()

    /// Starts `fmdb serve directory --port 0 arguments…` and waits for its listening line.
    init(directory: URL, arguments: [String] = []) async throws {
        let exit = ExitTime()
        let (process, outputFile, errorFile) = try Self.launch(["serve", directory.path, "--port", "0"] + arguments, onExit: exit.record)
        self.exit = exit
        self.process = process
        self.outputFile = outputFile
        self.errorFile = errorFile
        self.directory = directory
        let clock = ContinuousClock()
        let deadline = clock.now + Self.startTimeout
        var line: String?
        while line == nil, process.isRunning, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            line = Self.read(outputFile).split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst(13)) }
        }
        guard let line, let port = line.split(separator: ":").last.flatMap({ Int($0) }) else {
            if process.isRunning { process.terminate() }
            throw ServerFailure("fmdb serve did not start listening: stdout \(Self.read(outputFile)), stderr \(Self.read(errorFile))")
        }
        self.url = line
        self.port = port
    }

    deinit {
        // a test that failed before stop() must not leave a server behind
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputFile)
        try? FileManager.default.removeItem(at: errorFile)
    }

    /// What the server wrote on stderr so far.
    var standardError: String { Self.read(errorFile) }

    /// The server's process id.
    var processIdentifier: Int32 { process.processIdentifier }

    /// Whether the process is still running.
    var isRunning: Bool { process.isRunning }

    /// When Foundation's reaper saw the process exit. A test task polling for the exit may resume
    /// long after it when every test thread is busy: time a stop by this, not by that task.
    var exitedAt: ContinuousClock.Instant? { exit.instant }

    /// `exitedAt`, waiting up to 10 s for the termination handler (it may run just after the
    /// process stopped counting as running).
    func exitInstant() async throws -> ContinuousClock.Instant? {
        for _ in 0..<1000 where exit.instant == nil { try await Task.sleep(for: .milliseconds(10)) }
        return exit.instant
    }

    /// Sends SIGTERM without waiting.
    func signalTerminate() { kill(process.processIdentifier, SIGTERM) }

    /// Sends SIGTERM and waits for the exit; returns the exit status (a signal death is a failure).
    @discardableResult
    func stop() async throws -> Int32 {
        if process.isRunning { signalTerminate() }
        return try await waitForExit()
    }

    /// Waits, bounded, for the process to exit; returns its exit status.
    func waitForExit(timeout: Duration = ServerProcess.stopTimeout) async throws -> Int32 {
        try await Self.wait(for: process, timeout: timeout)
        guard process.terminationReason == .exit else {
            throw ServerFailure("fmdb serve died of signal \(process.terminationStatus); stderr: \(standardError)")
        }
        return process.terminationStatus
    }

    /// Runs `fmdb arguments…` expected to exit by itself (a start that fails); returns status,
    /// stdout and stderr.
    static func runToExit(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, stdout: String, stderr: String) {
        let (process, outputFile, errorFile) = try launch(arguments)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        try await wait(for: process, timeout: timeout)
        return (process.terminationStatus, read(outputFile), read(errorFile))
    }

    /// Starts `fmdb arguments…` with stdout and stderr in files: a pipe nobody reads could fill
    /// and stall the server, and a file holds every byte once the process has exited.
    private static func launch(_ arguments: [String], onExit: (@Sendable () -> Void)? = nil) throws -> (Process, output: URL, error: URL) {
        let binary = try #require(binary, "fmdb is not built: run `swift build --build-tests` or set FMDB_BINARY")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let files = ["stdout", "stderr"].map { FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-serve-\($0)-\(UUID().uuidString)") }
        for file in files { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let handles = try files.map { try FileHandle(forWritingTo: $0) }
        defer { for handle in handles { try? handle.close() } }  // the child holds its own copies
        process.standardOutput = handles[0]
        process.standardError = handles[1]
        process.standardInput = FileHandle.nullDevice
        if let onExit { process.terminationHandler = { _ in onExit() } }
        try process.run()
        return (process, files[0], files[1])
    }

    private static func wait(for process: Process, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw ServerFailure("fmdb did not exit within \(timeout); killed")
        }
    }

    private static func read(_ file: URL) -> String {
        (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }
}

/// The instant a process exited, recorded once from Foundation's termination handler.
final class ExitTime: Sendable {
    private let recorded = Mutex<ContinuousClock.Instant?>(nil)

    /// Records now, the first time only.
    @Sendable func record() {
        let now = ContinuousClock.now
        recorded.withLock { if $0 == nil { $0 = now } }
    }

    /// The recorded instant, if the process exited.
    var instant: ContinuousClock.Instant? { recorded.withLock { $0 } }
}

/// A test fixture failure with its reason.
struct ServerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
