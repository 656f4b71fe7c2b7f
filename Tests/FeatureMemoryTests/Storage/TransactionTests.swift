import Foundation
import Testing
@testable import FeatureMemory

/// The LMDB wrappers: put, get, delete, reserve, cursors, duplicate tables, commit and rollback.
struct TransactionTests {
    let temporary: TemporaryDirectory
    let environment: Environment
    init() throws {
        temporary = try TemporaryDirectory()
        environment = try Environment(directory: temporary.url.path, configuration: .init(initialMapSize: 1 << 20))
    }

    func table(_ name: StaticString, kind: TableKind = []) throws -> Table {
        try environment.write { txn in try #require(try environment.openTable(name, kind: kind, create: true, in: txn)) }
    }

    func put(_ value: String, for key: UInt64, in table: Table, txn: Transaction) throws {
        try key.withKeyBytes { k in try Array(value.utf8).withUnsafeBytes { try txn.put($0, forKey: k, in: table) } }
    }

    func get(_ key: UInt64, in table: Table, txn: Transaction) throws -> String? {
        try key.withKeyBytes { k in try txn.withValue(in: table, forKey: k) { String(decoding: $0, as: UTF8.self) } }
    }

    @Test func putGetReplaceAndDelete() throws {
        let t = try table("t", kind: .integerKeys)
        try environment.write { txn in
            try put("one", for: 1, in: t, txn: txn)
            try put("two", for: 2, in: t, txn: txn)
            try put("uno", for: 1, in: t, txn: txn)
        }
        let (one, two, three, contains) = try environment.read { txn in
            (try get(1, in: t, txn: txn), try get(2, in: t, txn: txn), try get(3, in: t, txn: txn),
             try UInt64(2).withKeyBytes { try txn.contains($0, in: t) })
        }
        #expect(one == "uno" && two == "two" && three == nil && contains)
        let removed = try environment.write { txn in
            (try UInt64(2).withKeyBytes { try txn.delete($0, in: t) }, try UInt64(9).withKeyBytes { try txn.delete($0, in: t) })
        }
        #expect(removed == (true, false))
        #expect(try environment.read { try get(2, in: t, txn: $0) } == nil)
    }

    @Test func integerKeysIterateInNumericOrder() throws {
        let t = try table("t", kind: .integerKeys)
        let keys: [UInt64] = [.max, 0, 256, 1, 255, 1 << 32, 65_536, .max - 1]
        try environment.write { txn in for key in keys { try put("\(key)", for: key, in: t, txn: txn) } }
        var seen: [UInt64] = []
        try environment.read { txn in
            try txn.withCursor(on: t) { cursor in
                try cursor.forEach { seen.append(UInt64(keyBytes: $0.key)!); return true }
            }
        }
        #expect(seen == keys.sorted())
        // seeking lands on the first key at or after the one asked for
        let from300 = try environment.read { txn in
            try txn.withCursor(on: t) { cursor in
                try UInt64(300).withKeyBytes { try cursor.seek(atOrAfter: $0).map { UInt64(keyBytes: $0.key)! } }
            }
        }
        #expect(from300 == 65_536)
        let last = try environment.read { txn in try txn.withCursor(on: t) { try $0.last().map { UInt64(keyBytes: $0.key)! } } }
        #expect(last == .max)
    }

    @Test func reserveWritesTheValueInPlace() throws {
        let t = try table("t", kind: .integerKeys)
        try environment.write { txn in
            try UInt64(5).withKeyBytes { key in
                try txn.reserve(6, forKey: key, in: t) { buffer in buffer.copyBytes(from: Array("placed".utf8)) }
            }
        }
        #expect(try environment.read { try get(5, in: t, txn: $0) } == "placed")
    }

    @Test func duplicateTablesKeepSortedValuesAndDeleteOnePair() throws {
        let t = try table("d", kind: [.duplicateFixedValues, .integerValues])
        try environment.write { txn in
            for node: UInt32 in [7, 3, 300, 5] {
                try Array("label".utf8).withUnsafeBytes { key in try node.withKeyBytes { try txn.put($0, forKey: key, in: t) } }
            }
            try Array("label".utf8).withUnsafeBytes { key in try UInt32(5).withKeyBytes { _ = try txn.delete(key, value: $0, in: t) } }
        }
        var values: [UInt32] = []
        try environment.read { txn in
            try txn.withCursor(on: t) { cursor in try cursor.forEach { values.append(UInt32(keyBytes: $0.value)!); return true } }
        }
        #expect(values == [3, 7, 300])
        #expect(try environment.read { try $0.statistics(of: t).entries } == 3)
    }

    struct Abandon: Error {}

    @Test func aThrowingWriteRollsBackAndAReadSeesItsSnapshot() throws {
        let t = try table("t", kind: .integerKeys)
        try environment.write { try put("kept", for: 1, in: t, txn: $0) }
        #expect(throws: Abandon.self) {
            try environment.write { txn in
                try put("gone", for: 2, in: t, txn: txn)
                try put("changed", for: 1, in: t, txn: txn)
                throw Abandon()
            }
        }
        let values = try environment.read { txn in (try get(1, in: t, txn: txn), try get(2, in: t, txn: txn)) }
        #expect(values.0 == "kept" && values.1 == nil)
        // each commit moves the snapshot id on; a failed one does not
        let before = try environment.read { $0.snapshotID }
        try environment.write { try put("again", for: 3, in: t, txn: $0) }
        #expect(try environment.read { $0.snapshotID } == before + 1)
    }

    @Test func removeAllEmptiesTheTableButKeepsIt() throws {
        let t = try table("t", kind: .integerKeys)
        try environment.write { txn in for key in UInt64(0)..<50 { try put("v", for: key, in: t, txn: txn) } }
        try environment.write { try $0.removeAll(in: t) }
        #expect(try environment.read { try $0.statistics(of: t).entries } == 0)
        try environment.write { try put("back", for: 1, in: t, txn: $0) }
        #expect(try environment.read { try get(1, in: t, txn: $0) } == "back")
    }

    @Test func aMissingTableIsNilWithoutCreate() throws {
        let missing = try environment.read { try environment.openTable("nope", create: false, in: $0) }
        #expect(missing == nil)
    }
}
