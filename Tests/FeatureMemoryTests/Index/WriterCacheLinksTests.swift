import Testing
@testable import FeatureMemory

/// The writer cache's layer-0 links, read from its flat slots when they fit and from the decoded
/// record when they do not, agree with what was set through every change, growth and discard.
struct WriterCacheLinksTests {
    func links(_ cache: WriterCache, _ node: UInt32, layer: Int = 0) -> [UInt32]? {
        var links = ContiguousArray<UInt32>([99])
        return cache.appendLinks(of: node, layer: layer, to: &links) ? Array(links.dropFirst()) : nil
    }

    @Test func flatAndLongListsReadAsSetThroughGrowthAndDiscard() {
        let cache = WriterCache(dimension: 4, byteBudget: 1 << 24, flatWidth: 4)
        cache.begin(transactionID: 1)
        var expected: [UInt32: [[UInt32]]] = [:]
        // nodes 0..<3000 make the slots grow several times; lists of 0 to 7 links, some longer than the flat width
        for node in UInt32(0)..<3000 {
            let bottom = (0..<(Int(node) % 8)).map { UInt32(($0 * 7919 + Int(node)) % 3000) }
            let out = node % 5 == 0 ? [bottom, [node &+ 1]] : [bottom]
            cache.setNode(node, GraphRecord.Node(out: out, in: out.map { _ in [] }))
            expected[node] = out
        }
        // replaced and removed records
        for node in stride(from: UInt32(0), to: 3000, by: 7) {
            let out: [[UInt32]] = [[node, node, node]]
            cache.setNode(node, GraphRecord.Node(out: out, in: [[]]))
            expected[node] = out
        }
        for node in stride(from: UInt32(3), to: 3000, by: 11) {
            cache.setNode(node, nil)
            expected[node] = nil
        }
        var wrong: [UInt32] = []
        for node in UInt32(0)..<3000 {
            if links(cache, node) != expected[node]?[0] { wrong.append(node) }
            if let out = expected[node], out.count > 1, links(cache, node, layer: 1) != out[1] { wrong.append(node) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
        #expect(links(cache, 3000) == nil)
        cache.discardEntries()
        #expect((UInt32(0)..<3000).allSatisfy { links(cache, $0) == nil })
    }

    /// A record the budget has no room for is not kept, and its flat links are not read either.
    @Test func aRecordPastTheBudgetIsNotRead() {
        let perNode = WriterCache.bytesPerNode(dimension: 4, flatWidth: 4)
        let cache = WriterCache(dimension: 4, byteBudget: perNode * 1024 + 200, flatWidth: 4)
        cache.begin(transactionID: 1)
        cache.setNode(1, GraphRecord.Node(out: [[2, 3]], in: [[]]))
        #expect(links(cache, 1) == [2, 3])
        let big = GraphRecord.Node(out: [[4, 5]], in: [Array(0..<5000)])
        cache.setNode(1, big)
        #expect(links(cache, 1) == nil)
    }
}
