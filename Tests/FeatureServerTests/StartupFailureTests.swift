import Foundation
import Testing

/// A server that cannot start exits 1 with one line on stderr, before printing its listening line.
struct StartupFailureTests {
    static func expectOneLineFailure(_ run: (status: Int32, stdout: String, stderr: String), mentioning text: String) {
        #expect(run.status == 1, "exit \(run.status); stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(lines.first?.contains(text) == true, "stderr: \(run.stderr)")
        #expect(!run.stdout.contains("listening"), "stdout: \(run.stdout)")
    }

    @Test func aPortInUseExits1WithOneLine() async throws {
        try await withServer { server, _ in
            let scratch = try TemporaryDirectory()
            let run = try await ServerProcess.runToExit(["serve", scratch.url.appendingPathComponent("dir").path, "--port", String(server.port)])
            Self.expectOneLineFailure(run, mentioning: String(server.port))
            #expect(try await TestClient(http: .shared, base: server.url).get("/healthz").status == 200, "the first server is unharmed")
        }
    }

    @Test func aDirectoryUnderARegularFileExits1WithOneLine() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.url.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        // a path whose parent is a file cannot be made even by root, unlike a chmod 0500 directory
        let under = file.appendingPathComponent("collections").path
        Self.expectOneLineFailure(try await ServerProcess.runToExit(["serve", under, "--port", "0"]), mentioning: under)
        Self.expectOneLineFailure(try await ServerProcess.runToExit(["serve", file.path, "--port", "0"]), mentioning: file.path)
        #expect(try Data(contentsOf: file) == Data("x".utf8))
    }

    @Test func outOfRangeOptionsAreUsageErrors() async throws {
        let scratch = try TemporaryDirectory()
        let directory = scratch.url.appendingPathComponent("dir").path
        for arguments in [["--port", "70000"], ["--max-body-mb", "0"], ["--max-connections", "0"], ["--max-queue", "0"], ["--durability", "sometimes"]] {
            let run = try await ServerProcess.runToExit(["serve", directory, "--port", "0"] + arguments)
            #expect(run.status == 64, "\(arguments): exit \(run.status), \(run.stderr)")
            #expect(!run.stdout.contains("listening"))
        }
    }
}
