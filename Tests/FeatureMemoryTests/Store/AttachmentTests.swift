import Foundation
import Testing
@testable import FeatureMemory

struct AttachmentTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func attachmentsPersistAndCanBeRemoved() throws {
        do {
            let store = try temporary.store(dimension: 2)
            #expect(try store.attachment(named: "stats") == nil)
            try store.setAttachment(Data("{\"n\":3}".utf8), named: "stats")
        }
        let store = try temporary.store(dimension: nil, metric: nil)
        #expect(try store.attachment(named: "stats") == Data("{\"n\":3}".utf8))
        try store.setAttachment(nil, named: "stats")
        #expect(try store.attachment(named: "stats") == nil)
        // an attachment never shadows the store's own settings
        try store.setAttachment(Data([1]), named: "dimension")
        #expect(try temporary.store(dimension: nil, metric: nil).dimension == 2)
        #expect(throws: StoreError.self) { try store.setAttachment(Data(), named: "") }
    }

    @Test func aCalibrationSavedBeforeAttachmentsIsReadAsItsAttachmentUntilRewritten() throws {
        let store = try temporary.store(dimension: 2)
        // what a store calibrated by an earlier version holds: the table under its own meta key
        try store.write { txn in
            try Array("pattern_calibration".utf8).withUnsafeBytes { key in
                try Data("old".utf8).withUnsafeBytes { try txn.txn.put($0, forKey: key, in: txn.tables.meta) }
            }
        }
        #expect(try store.attachment(named: "patterns/calibration") == Data("old".utf8))
        try store.setAttachment(Data("new".utf8), named: "patterns/calibration")
        #expect(try store.attachment(named: "patterns/calibration") == Data("new".utf8))
        try store.setAttachment(nil, named: "patterns/calibration")
        // the legacy key went with the first write: removing the attachment leaves nothing behind
        #expect(try store.attachment(named: "patterns/calibration") == nil)
    }
}

/// Attachments inside transactions: written and read with the vectors, all or nothing.
struct TransactionAttachmentTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory() }

    @Test func anAttachmentCommitsWithTheVectorsOfItsTransaction() throws {
        let store = try temporary.store(dimension: 2)
        try store.write { txn in
            try txn.put([1, 2], for: 1)
            try txn.setAttachment(Data("mean 1.5".utf8), named: "normalization")
            // the transaction reads its own write
            #expect(try txn.attachment(named: "normalization") == Data("mean 1.5".utf8))
        }
        let seen = try store.read { txn in (try txn.attachment(named: "normalization"), try txn.count()) }
        #expect(seen.0 == Data("mean 1.5".utf8) && seen.1 == 1)
    }

    @Test func aRolledBackTransactionLeavesNoAttachment() throws {
        let store = try temporary.store(dimension: 2)
        try store.setAttachment(Data([1]), named: "kept")
        struct Abandon: Error {}
        #expect(throws: Abandon.self) {
            try store.write { txn in
                try txn.put([1, 2], for: 1)
                try txn.setAttachment(Data([2]), named: "kept")
                try txn.setAttachment(Data([3]), named: "new")
                throw Abandon()
            }
        }
        #expect(try store.attachment(named: "kept") == Data([1]))
        #expect(try store.attachment(named: "new") == nil)
        #expect(try store.count() == 0)
    }

    @Test func aReaderKeepsItsSnapshotsAttachmentWhileAWriterReplacesIt() throws {
        let store = try temporary.store(dimension: 2)
        try store.setAttachment(Data([1]), named: "a")
        try store.read { reader in
            try store.write { try $0.setAttachment(nil, named: "a") }
            #expect(try reader.attachment(named: "a") == Data([1]))
        }
        #expect(try store.attachment(named: "a") == nil)
    }

    @Test(arguments: ["", String(repeating: "x", count: 201), "a\u{0}b"])
    func aBadNameIsRefusedInsideATransactionAndChangesNothing(name: String) throws {
        let store = try temporary.store(dimension: 2)
        let refused = StoreError.invalidArgument("an attachment name must be 1…200 UTF-8 bytes without NUL")
        try store.write { txn in
            #expect(throws: refused) { try txn.setAttachment(Data([1]), named: name) }
            #expect(throws: refused) { try txn.attachment(named: name) }
        }
        #expect(throws: refused) { try store.attachment(named: name) }
    }

    @Test func theStoreFormInsideAWriteBlockThrowsNestedWrite() throws {
        let store = try temporary.store(dimension: 2)
        try store.write { _ in
            #expect(throws: StoreError.nestedWrite) { try store.setAttachment(Data([1]), named: "a") }
        }
        #expect(try store.attachment(named: "a") == nil)
    }
}
