import CommandSupport
import Foundation
import Testing

/// fmdb's last line of defence: a memory fault while reading a store ends it with exit 1 and a
/// message, unless FMDB_FAULT_HANDLER=0 asks to see the signal.
@Suite struct FaultHandlerTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// Runs `fmdb hold-read` until it holds its snapshot, sends it `signal`, and returns how it ended.
    func signalAReader(_ signal: Int32, environment: [String: String]) throws -> (Process.TerminationReason, Int32, String) {
        let path = temp.path("s")
        try FMDBRunner.run(["create", path, "--dim", "2"])
        let reader = Process()
        reader.executableURL = try #require(FMDBRunner.binary)
        reader.arguments = ["hold-read", path]
        reader.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        reader.standardOutput = output
        reader.standardError = errors
        try reader.run()
        #expect(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("reading"))
        kill(reader.processIdentifier, signal)
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        return (reader.terminationReason, reader.terminationStatus, String(decoding: said, as: UTF8.self))
    }

    @Test(arguments: [SIGBUS, SIGSEGV])
    func aFaultEndsFmdbWithExitOneAndAMessage(_ signal: Int32) throws {
        let (reason, status, stderr) = try signalAReader(signal, environment: [:])
        #expect(reason == .exit)
        #expect(status == 1)
        #expect(stderr.hasPrefix("Error: fmdb stopped on SIG"))
        #expect(stderr.contains("fmdb salvage STORE NEW"))
    }

    @Test func theHandlerCanBeTurnedOffToSeeTheSignal() throws {
        // without the Swift backtracer, whose report did not finish under the test runner
        let (reason, status, _) = try signalAReader(SIGBUS, environment: ["FMDB_FAULT_HANDLER": "0", "SWIFT_BACKTRACE": "enable=no"])
        #expect(reason == .uncaughtSignal)
        #expect(status == SIGBUS)
    }
}
