import Testing
@testable import FeatureMemory

/// A full node cache takes a missed node in on its second miss within a window, never on its
/// first; while it has free slots it takes every miss.
struct CacheAdmissionTests {
    static let dimension = 8

    func fill(_ cache: NodeCache, _ node: UInt32) {
        let vector = [Float](repeating: Float(node % 7), count: Self.dimension)
        let links: [UInt32] = [1, 2, 3]
        vector.withUnsafeBytes { values in
            links.withUnsafeBufferPointer { links in
                cache.fill(node, snapshot: 1, id: UInt64(node), vector: values.baseAddress!, norm: 1, links: links, origin: .demand)
            }
        }
    }

    @Test func aFullCacheAdmitsOnTheSecondMiss() {
        let cache = NodeCache(dimension: Self.dimension, maximumLinks: 4, budgetBytes: 32 << 10, snapshot: 1, nodeBound: 100_000)
        var node: UInt32 = 0
        while !cache.isFull {
            #expect(cache.admits(node))
            fill(cache, node)
            node += 1
        }
        #expect(node > UInt32(cache.capacity), "\(node) \(cache.capacity) \(cache.doorkeeperMask)")
        #expect(cache.refusedFills == 0)

        let fresh = (0..<200).map { node + 1_000 + UInt32($0) * 13 }
        let firstAdmitted = fresh.filter { cache.admits($0) }.count
        // only a bucket shared with another fresh node lets a first miss in
        #expect(firstAdmitted <= 10)
        #expect(cache.refusedFills == fresh.count - firstAdmitted)
        #expect(fresh.allSatisfy { cache.admits($0) })
    }

    @Test func theWindowForgetsFirstMisses() {
        let cache = NodeCache(dimension: Self.dimension, maximumLinks: 4, budgetBytes: 32 << 10, snapshot: 1, nodeBound: 100_000)
        var node: UInt32 = 0
        while !cache.isFull {
            fill(cache, node)
            node += 1
        }
        let remembered: UInt32 = 90_000
        #expect(!cache.admits(remembered))
        // a window's worth of other first misses clears what the doorkeeper held
        var other: UInt32 = 200_000
        while cache.refusedFills < cache.doorkeeperMask / 2 + 2 {
            _ = cache.admits(other)
            other += 1
        }
        #expect(!cache.admits(remembered))
        #expect(cache.admits(remembered))
    }
}
