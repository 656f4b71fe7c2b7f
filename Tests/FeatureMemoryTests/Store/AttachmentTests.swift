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
}
