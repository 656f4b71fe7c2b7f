import Foundation
import Testing
@testable import fmdb

/// `fmdb serve` and `fmdb cluster` run fmdb-server from fmdb's directory with the same arguments.
@Suite struct ServerForwardingTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    @Test func serveAndClusterReachTheServerExecutable() throws {
        let directory = temp.path("collections")
        let refused = try FMDBRunner.run(["serve", directory, "--port", "70000"])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("--port must be 0…65535, got 70000"))
        #expect(!FileManager.default.fileExists(atPath: directory))
        let help = try FMDBRunner.run(["cluster", "--help"])
        #expect(help.status == 0)
        for subcommand in ["status", "add-node", "remove-node", "rebalance"] { #expect(help.stdout.contains(subcommand)) }
        // a store command stays in fmdb itself
        let listed = try FMDBRunner.run(["--help"])
        #expect(listed.stdout.contains("serve") && listed.stdout.contains("cluster"))
    }

    @Test func withoutTheServerExecutableServeIsAClearError() throws {
        let built = try #require(FMDBRunner.binary)
        let alone = temp.url.appendingPathComponent("fmdb")
        // a hard link keeps the test cheap; a copy where the file systems differ
        do { try FileManager.default.linkItem(at: built, to: alone) } catch { try FileManager.default.copyItem(at: built, to: alone) }
        let directory = temp.path("collections")
        for command in [["serve", directory], ["cluster", "status", "--nats", "nats://127.0.0.1:1"]] {
            let result = try FMDBRunner.run(command, executable: alone)
            #expect(result.status == 1)
            #expect(result.stderr.contains("`fmdb \(command[0])` runs fmdb-server, which is not beside \(alone.path)"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(try FMDBRunner.run(["--help"], executable: alone).status == 0)
    }
}
