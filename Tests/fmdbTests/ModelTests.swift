import Foundation
import Testing

/// The model-based test (`fmdb model-test`): random writes from several store objects and
/// processes, checked against an in-memory reference after every step. A short run with a new
/// seed each time; `tools/model-test` runs long ones.
@Suite struct ModelTests {
    @Test func randomWritesMatchTheReferenceModelAfterEveryStep() throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        let result = try FMDBRunner.run(["model-test", "--steps", "200", "--seed", "\(seed)", "--max-batch", "1100", "--json"])
        #expect(result.status == 0, "model test failed, replay with fmdb model-test --seed \(seed): \(result.stdout) \(result.stderr)")
        let summary = try result.json()
        #expect(summary["failures"] as? Int == 0)
        #expect(summary["steps"] as? Int == 200)
    }
}
