import Testing
@testable import FeatureMemory

/// The visited bitset against a plain set: every search starts empty however much the last one
/// set (partly cleared words, or all of them), and links past its range count as visited.
struct VisitedSetTests {
    @Test func agreesWithASetAcrossManySearches() {
        var random = SeededGenerator(seed: 0x51)
        var visited = VisitedSet()
        for search in 0..<300 {
            let capacity = [1, 63, 64, 65, 1000, 5000][search % 6]
            visited.reset(capacity: capacity)
            var reference = Set<UInt32>()
            // few nodes (the touched words are cleared) or nearly all (everything is cleared)
            let draws = search % 3 == 0 ? capacity * 2 : 5
            for _ in 0..<draws {
                let node = UInt32.random(in: 0..<UInt32(capacity), using: &random)
                let new = visited.insert(node), expected = reference.insert(node).inserted
                #expect(new == expected, "search \(search) node \(node)")
            }
            for node in 0..<UInt32(capacity) where visited.contains(node) != reference.contains(node) {
                Issue.record("search \(search): node \(node) contains \(visited.contains(node))")
            }
        }
    }

    @Test func nodesPastTheRangeAreNeverNew() {
        var visited = VisitedSet()
        visited.reset(capacity: 100)
        let results = [visited.insert(UInt32.max), visited.insert(1 << 20), visited.insert(99), visited.insert(99)]
        #expect(results == [false, false, true, false])
        #expect(!visited.contains(UInt32.max))
    }
}
