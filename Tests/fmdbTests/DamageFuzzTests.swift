import Foundation
import Testing

/// A short run of `tools/damage-test`: random damage to copies of a small store, every command
/// on each, no signal, no hang, and verify reports every damage that changed live content.
@Suite struct DamageFuzzTests {
    @Test func randomDamageNeverEndsACommandWithASignalOrAHang() throws {
        let binary = try #require(FMDBRunner.binary, "fmdb is not built")
        let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/damage-test")
        let seed = UInt64.random(in: 0..<(1 << 32))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", tool.path, "--iterations", "20", "--vectors", "300", "--seed", "\(seed)",
                             "--timeout", "30", "--fmdb", binary.path]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let log = String(decoding: errData, as: UTF8.self)
        let last = try #require(String(decoding: outData, as: UTF8.self).split(separator: "\n").last, "seed \(seed): no summary; \(log)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(summary["cases"] as? Int == 20, "seed \(seed): \(log)")
        for key in ["signals", "hangs", "other_exits", "verify_missed", "salvage_unclean"] {
            #expect(summary[key] as? Int == 0, "\(key) with seed \(seed) (rerun: tools/damage-test --seed \(seed) --vectors 300): \(log)")
        }
        #expect(process.terminationStatus == 0, "seed \(seed): \(log)")
    }
}
