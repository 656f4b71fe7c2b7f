import Foundation
import Testing
@testable import FeatureMemory

/// Batch put and batch delete: all items or none, and the failing item named.
struct BatchTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    /// A store holding ids 1…5, id 3 labelled.
    func seededStore() throws -> FeatureStore {
        let store = try temporary.store(dimension: 4)
        for id in UInt64(1)...5 {
            try store.put([Float(id), 0, 0, 1], for: id, label: id == 3 ? "three" : nil)
        }
        return store
    }

    func items(_ count: Int) -> [VectorItem] {
        (0..<count).map { VectorItem(id: 100 + UInt64($0), vector: [1, 2, 3, Float($0)], label: "batch") }
    }

    @Test func aBatchPutStoresEveryItem() throws {
        let store = try seededStore()
        var batch = items(50)
        batch.append(VectorItem(id: 3, vector: [9, 9, 9, 9], label: nil, userData: Data([1])))
        try store.put(batch)
        #expect(try store.count() == 55)
        #expect(try store.get(3).vector == [9, 9, 9, 9])
        #expect(try store.read { try $0.ids(withLabel: "batch") } == (100..<150).map { UInt64($0) })
        #expect(try store.read { try $0.ids(withLabel: "three") }.isEmpty)
    }

    @Test func anEmptyBatchChangesNothing() throws {
        let store = try seededStore()
        let before = try StoreContents(of: store)
        try store.put([VectorItem]())
        try store.delete([UInt64]())
        #expect(try StoreContents(of: store) == before)
    }

    @Test func aDuplicateIDInABatchKeepsTheLastItem() throws {
        let store = try seededStore()
        try store.put([VectorItem(id: 9, vector: [1, 1, 1, 1]), VectorItem(id: 9, vector: [2, 2, 2, 2], label: "last")])
        #expect(try store.get(9).vector == [2, 2, 2, 2])
        #expect(try store.count() == 6)
    }

    enum Bad: String, CaseIterable, Sendable { case dimension, nan, infinity, emptyLabel, longLabel, empty }

    func damaged(_ item: VectorItem, _ bad: Bad) -> (VectorItem, StoreError) {
        var item = item
        switch bad {
        case .dimension:
            item.vector = [1, 2, 3]
            return (item, .dimensionMismatch(expected: 4, actual: 3))
        case .nan:
            item.vector[2] = .nan
            return (item, .nonFinite(index: 2))
        case .infinity:
            item.vector[0] = -.infinity
            return (item, .nonFinite(index: 0))
        case .emptyLabel:
            item.label = ""
            return (item, .invalidLabel("empty (pass nil for no label)"))
        case .longLabel:
            item.label = String(repeating: "ü", count: 128)
            return (item, .invalidLabel("256 bytes; at most 255"))
        case .empty:
            item.vector = []
            return (item, .emptyVector)
        }
    }

    @Test(arguments: [0, 1, 17, 39], Bad.allCases)
    func aBadItemFailsTheWholeBatchPut(index: Int, bad: Bad) throws {
        let store = try seededStore()
        let before = try StoreContents(of: store)
        var batch = items(40)
        batch[5] = VectorItem(id: 3, vector: [7, 7, 7, 7], label: "overwritten")   // would replace id 3
        batch[6] = VectorItem(id: 4, vector: [7, 7, 7, 7], label: "three")
        let (item, error) = damaged(batch[index], bad)
        batch[index] = item
        #expect(throws: StoreError.batchItem(index: index, error)) { try store.put(batch) }
        #expect(try StoreContents(of: store) == before)
    }

    @Test func aBatchDeleteRemovesEveryID() throws {
        let store = try seededStore()
        try store.delete([1, 3, 5])
        #expect(try store.read { try $0.ids() } == [2, 4])
        #expect(try store.read { try $0.ids(withLabel: "three") }.isEmpty)
    }

    @Test(arguments: [0, 2, 4])
    func anUnknownIDFailsTheWholeBatchDelete(index: Int) throws {
        let store = try seededStore()
        let before = try StoreContents(of: store)
        var ids: [UInt64] = [1, 2, 3, 4, 5]
        ids[index] = 77
        #expect(throws: StoreError.batchItem(index: index, .unknownID(77))) { try store.delete(ids) }
        #expect(try StoreContents(of: store) == before)
    }

    /// As a batch put keeps one item per id, a batch delete removes an id named twice once.
    @Test func aRepeatedIDInABatchDeleteIsRemovedOnce() throws {
        let store = try seededStore()
        try store.delete([1, 2, 2])
        #expect(try store.count() == 3)
        #expect(try store.read { try $0.ids() } == [3, 4, 5])
        #expect(try store.verify().isClean)
    }

    @Test func batchErrorsDescribeTheItem() {
        let error = StoreError.batchItem(index: 3, .nonFinite(index: 1))
        #expect(error.description == "batch item 3: vector element 1 is not a finite number (NaN or infinity) (nothing in the batch was written)")
    }
}
