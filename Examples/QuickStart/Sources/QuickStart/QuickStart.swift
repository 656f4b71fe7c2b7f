import Dispatch
import FeatureMemory
import Foundation
import Synchronization

/// FeatureMemory from another package: create a store, put labelled vectors, search, read
/// metadata, see a nested write refused, delete, close and reopen. Each step checks its result;
/// the program exits 1 at the first wrong one, so `make test` runs it as a check.
@main
struct QuickStart {
    static func main() {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("feature-memory-quickstart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try run(in: directory)
            print("quickstart: every check passed")
        } catch {
            FileHandle.standardError.write(Data("quickstart: \(error)\n".utf8))
            exit(1)
        }
    }

    /// A result that is not what the step expects.
    struct WrongResult: Error, CustomStringConvertible {
        let description: String
    }

    /// Throws `WrongResult` with `message` unless `condition` holds.
    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw WrongResult(description: message()) }
    }

    static func run(in directory: URL) throws {
        // 1. Open: creates the directory and the store (4 floats per vector, cosine distance).
        //    `.full` durability: a write is on disk when its call returns.
        do {
            let store = try FeatureStore(
                at: directory,
                options: StoreOptions(dimension: 4, metric: .cosine, durability: .full))
            try check(store.wasCreated, "the store should be new")

            // 2. Put: a batch is one transaction, all or nothing.
            try store.put([
                VectorItem(id: 1, vector: [1, 0, 0, 0], label: "north"),
                VectorItem(id: 2, vector: [0, 1, 0, 0], label: "east"),
                VectorItem(id: 3, vector: [0.9, 0.1, 0, 0], label: "north"),
            ])
            // A write block: several changes in one transaction, committed when the block returns.
            try store.write { txn in
                try txn.put([0, 0, 1, 0], for: 4, label: "south", userData: Data("pole".utf8))
                try txn.setAttachment(Data("v1".utf8), named: "model")
            }
            print("stored \(try store.count()) vectors")
            try check(try store.count() == 4, "4 vectors expected")

            // 3. Search: nearest first, distance 1 − cos for the cosine metric.
            let hits = try store.nearest(to: [1, 0.05, 0, 0], count: 2)
            print("nearest to [1, 0.05, 0, 0]: " + hits.map { "\($0.id) (\($0.distance))" }.joined(separator: ", "))
            try check(hits.map(\.id) == [1, 3], "ids 1 and 3 expected, got \(hits.map(\.id))")
            let norths = try store.nearest(to: [0, 1, 0, 0], count: 5, filter: .label("north"))
            try check(Set(norths.map(\.id)) == [1, 3], "only the north vectors pass the filter")

            // 4. Read: one consistent snapshot for everything inside the block.
            let (south, count, model) = try store.read { txn in
                (try txn.get(4), try txn.count(), try txn.attachment(named: "model"))
            }
            print("id 4: label \(south.metadata.label ?? "-"), stored \(south.metadata.creationDate)")
            try check(south.metadata.label == "south" && south.metadata.userData == Data("pole".utf8), "metadata of id 4")
            try check(count == 4 && model == Data("v1".utf8), "count and attachment in one snapshot")

            // 5. Errors: bad input throws a StoreError and changes nothing.
            do {
                try store.put([1, 2], for: 9)
                throw WrongResult(description: "a vector of 2 floats should be refused")
            } catch let error as StoreError {
                print("refused: \(error)")
                try check(error == .dimensionMismatch(expected: 4, actual: 2), "dimensionMismatch expected, got \(error)")
            }

            // 6. A write of the store inside a write block is refused (write through `txn`), and
            //    the error, left uncaught, rolls the whole block back.
            do {
                try store.write { txn in
                    try txn.put([0, 0, 0, 1], for: 5, label: "up")
                    try store.put([0, 0, 1, 1], for: 6)
                }
                throw WrongResult(description: "a nested write should throw")
            } catch let error as StoreError {
                print("nested write: \(error)")
                try check(error == .nestedWrite, "nestedWrite expected, got \(error)")
            }
            try check(try !store.contains(5) && !store.contains(6), "the refused block must leave nothing")

            // 7. Reads run on any thread, in parallel; the store object is Sendable.
            let found = Mutex<[UInt64]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                let query: [Float] = index % 2 == 0 ? [1, 0, 0, 0] : [0, 0, 1, 0]
                if let id = try? store.nearest(to: query, count: 1).first?.id {
                    found.withLock { $0.append(id) }
                }
            }
            try check(found.withLock { $0.sorted() } == [1, 1, 4, 4], "parallel searches")

            // 8. Delete: an unknown id is an error.
            try store.delete(2)
            try check(try !store.contains(2), "id 2 should be gone")
            do {
                try store.delete(2)
                throw WrongResult(description: "deleting id 2 twice should throw")
            } catch let error as StoreError {
                try check(error == .unknownID(2), "unknownID(2) expected, got \(error)")
            }
        }
        // 9. Closed: the last store object on the directory is gone (the end of the scope above),
        //    so it may be opened again with other options. Everything committed is there.
        let reopened = try FeatureStore(at: directory, options: StoreOptions(durability: .noSync))
        let ids = try reopened.read { try $0.ids() }
        print("after reopening: ids \(ids)")
        try check(ids == [1, 3, 4], "ids 1, 3 and 4 expected after reopening, got \(ids)")
        try check(reopened.dimension == 4 && reopened.metric == .cosine, "dimension and metric come from the store")
    }
}
