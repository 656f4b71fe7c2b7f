import Testing
@testable import FeatureMemory

/// Large tables come from 2 MiB-aligned mappings (huge pages), small ones from the heap, and a
/// writer cache that grows across the threshold keeps every vector, code and link it held.
struct HugePageMemoryTests {
    @Test(arguments: [1, 4_096, HugePageMemory.mappingThreshold - 1, HugePageMemory.mappingThreshold, 9 << 20])
    func everyByteIsUsableAndLargeBlocksAreAligned(bytes: Int) {
        let memory = HugePageMemory(bytes: bytes)
        defer { memory.release() }
        let base = UInt(bitPattern: memory.base)
        #expect(base % 64 == 0)
        if bytes >= HugePageMemory.mappingThreshold { #expect(base % UInt(2 << 20) == 0) }
        let words = memory.base.bindMemory(to: UInt32.self, capacity: bytes / 4)
        for index in stride(from: 0, to: bytes / 4, by: 1_021) { words[index] = UInt32(truncatingIfNeeded: index &* 2_654_435_761) }
        let wrong = stride(from: 0, to: bytes / 4, by: 1_021).filter { words[$0] != UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) }
        #expect(wrong.isEmpty)
    }

    @Test func aWriterCacheGrowingPastTheThresholdKeepsWhatItHeld() throws {
        let dimension = 256
        // vectors pass 4 MiB at about 4,100 nodes
        let cache = WriterCache(dimension: dimension, byteBudget: 64 << 20, flatWidth: 8)
        func vector(_ node: Int) -> [Float] { (0..<dimension).map { Float(($0 * 31 + node * 7) % 97) - 48 } }
        for node in 0..<9_000 {
            vector(node).withUnsafeBytes { cache.setVector(UInt32(node), $0.baseAddress!, norm: Float(node)) }
            cache.setNode(UInt32(node), GraphRecord.Node(out: [[UInt32(node), UInt32(node + 1)]], in: [[]]))
        }
        #expect(cache.capacity >= 9_000)
        #expect(cache.capacity * dimension * 4 >= HugePageMemory.mappingThreshold)
        for node in stride(from: 0, to: 9_000, by: 37) {
            let (values, norm) = try #require(cache.vector(UInt32(node)))
            #expect(norm == Float(node))
            let stored = Array(UnsafeBufferPointer(start: values.assumingMemoryBound(to: Float.self), count: dimension))
            #expect(stored == vector(node))
            let codes = try #require(cache.codes(UInt32(node)))
            // an 8-bit copy decodes to within one step of every value
            let worst = (0..<dimension).map { abs(codes.low + codes.step * Float(codes.codes[$0]) - stored[$0]) }.max() ?? 0
            #expect(worst <= codes.step, "node \(node)")
            var links = ContiguousArray<UInt32>()
            #expect(cache.appendLinks(of: UInt32(node), layer: 0, to: &links))
            #expect(Array(links) == [UInt32(node), UInt32(node + 1)])
        }
    }
}
