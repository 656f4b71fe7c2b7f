import Testing
@testable import FeatureMemory

/// The writer cache grows geometrically up to its budget and then stops: never by one node at a
/// time, which copied every slot for each insert near the budget.
struct WriterCacheGrowthTests {
    static let dimension = 16

    @Test func growthStopsAtTheBudgetAfterFewCopies() {
        let perNode = WriterCache.bytesPerNode(dimension: Self.dimension)
        let cache = WriterCache(dimension: Self.dimension, byteBudget: perNode * 3_000)
        var growths = 0, last = cache.capacity
        for node in 0..<5_000 {
            let vector = [Float](repeating: Float(node % 5), count: Self.dimension)
            vector.withUnsafeBytes { cache.setVector(UInt32(node), $0.baseAddress!, norm: 1) }
            if cache.capacity != last {
                growths += 1
                last = cache.capacity
            }
        }
        #expect(cache.capacity == 3_000)
        // 1,024, 2,048, then what the budget affords
        #expect(growths == 3)
        #expect(cache.bytesInUse <= cache.byteBudget)
        #expect(cache.vector(2_999) != nil)
        #expect(cache.vector(3_000) == nil && cache.vector(4_999) == nil)
    }

    @Test func linksTakingTheBudgetLeaveNoRoomForOneNodeSteps() {
        let perNode = WriterCache.bytesPerNode(dimension: Self.dimension)
        let cache = WriterCache(dimension: Self.dimension, byteBudget: perNode * 2_100 + 40_000)
        let vector = [Float](repeating: 1, count: Self.dimension)
        var growths = 0, last = cache.capacity
        for node in 0..<4_000 {
            vector.withUnsafeBytes { cache.setVector(UInt32(node), $0.baseAddress!, norm: 1) }
            cache.setNode(UInt32(node), GraphRecord.Node(out: [[1, 2, 3]], in: [[4, 5]]))
            if cache.capacity != last {
                growths += 1
                last = cache.capacity
            }
        }
        #expect(growths <= 4)
        #expect(cache.bytesInUse <= cache.byteBudget)
    }

    @Test func aZeroBudgetKeepsNothing() {
        let cache = WriterCache(dimension: Self.dimension, byteBudget: 0)
        let vector = [Float](repeating: 1, count: Self.dimension)
        vector.withUnsafeBytes { cache.setVector(0, $0.baseAddress!, norm: 1) }
        #expect(cache.capacity == 0)
        #expect(cache.vector(0) == nil)
    }
}
