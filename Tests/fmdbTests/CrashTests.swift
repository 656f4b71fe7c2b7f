import Foundation
import Testing

/// The short crash suite of `make test`: a writer killed with SIGKILL at random moments loses no
/// acknowledged batch, never leaves one half applied, and leaves a store that opens, verifies and
/// answers searches. `tools/crash-test --iterations 1000` runs the long version.
@Suite struct CrashTests {
    @Test(arguments: ["full", "no-meta-sync", "no-sync"])
    func fiftyKillsLoseNothingAcknowledged(durability: String) throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        let result = try FMDBRunner.run(["crash-test", "--iterations", "50", "--seed", "\(seed)", "--durability", durability, "--max-delay-ms", "400", "--json"])
        let summary = try result.json()
        #expect(result.status == 0, "seed \(seed): \(result.stdout)")
        #expect(summary["kills"] as? Int == 50)
        #expect(summary["lost"] as? Int == 0, "seed \(seed)")
        #expect(summary["half_applied"] as? Int == 0, "seed \(seed)")
        #expect(summary["failed_open"] as? Int == 0, "seed \(seed)")
        #expect(summary["failed_verify"] as? Int == 0, "seed \(seed)")
        // the kills must land while batches are being written, not only before the first
        #expect((summary["acknowledged"] as? Int ?? 0) > 20, "seed \(seed)")
    }

    @Test func aReaderProcessSearchesCorrectlyWhileTheWriterIsKilledAndRestarted() throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        let result = try FMDBRunner.run([
            "crash-test", "--iterations", "50", "--seed", "\(seed)", "--max-delay-ms", "400", "--with-reader", "--json",
        ])
        let summary = try result.json()
        #expect(result.status == 0, "seed \(seed): \(result.stdout)")
        #expect(summary["lost"] as? Int == 0, "seed \(seed)")
        #expect(summary["half_applied"] as? Int == 0, "seed \(seed)")
        #expect(summary["reader_errors"] as? Int == 0, "seed \(seed)")
        #expect((summary["reader_searches"] as? Int ?? 0) > 100, "seed \(seed)")
    }
}
