import FeatureMemory
import Foundation
import Synchronization

/// One run of the model-based test: the store (through two store objects on one directory), the
/// reference model, and the random choice of each step.
final class ModelRun {
    /// Why a step failed.
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL
    let dimension: Int
    let idSpace: Int
    let maxBatch: Int
    let hnsw: HNSWParameters
    /// The fmdb binary for steps in other processes; nil to leave them out.
    let binary: URL?
    /// Whether each operation is printed on stderr before it runs.
    var trace = false
    private(set) var model = ReferenceModel()
    private(set) var stepsRun = 0
    private(set) var operationCounts: [String: Int] = [:]
    private(set) var largestStore = 0
    private(set) var lastOperation = ""
    private var random: SeededGenerator
    private var stores: [FeatureStore] = []
    private let labels: [String?] = [nil, "a", "b", "c", "long-label-\(String(repeating: "x", count: 40))"]

    init(directory: URL, seed: UInt64, dimension: Int, idSpace: Int, maxBatch: Int, hnsw: HNSWParameters, binary: URL?) throws {
        self.directory = directory
        self.dimension = dimension
        self.idSpace = idSpace
        self.maxBatch = maxBatch
        self.hnsw = hnsw
        self.binary = binary
        random = SeededGenerator(seed: seed)
        try openStores()
    }

    private func openStores() throws {
        let options = StoreOptions(dimension: dimension, metric: .l2, hnsw: hnsw, durability: .noSync)
        stores = [try FeatureStore(at: directory, options: options), try FeatureStore(at: directory, options: options)]
    }

    // MARK: one step

    /// Runs one random operation and checks the store against the model.
    func step() throws {
        let roll = Int(random.next() % 1_000)
        switch roll {
        case ..<140: try putOne()
        case ..<330: try putBatch(size: 2 + Int(random.next() % 62))
        case ..<380: try putBatch(size: largeBatchSize())
        case ..<490: try deleteOne()
        case ..<510: try deleteUnknown()
        case ..<600: try deleteBatch()
        case ..<700: try mixedTransaction()
        case ..<740: try failingBatch()
        case ..<770: try failingTransaction()
        case ..<830: try reinsertDeleted()
        case ..<900: try concurrentStores()
        case ..<950 where binary != nil: try otherProcessImports()
        case ..<970 where binary != nil: try otherProcessRemoves()
        case ..<985: try backupMatches()
        case ..<1_000: try compactAndReopen()
        default: try putBatch(size: 2 + Int(random.next() % 62))
        }
        stepsRun += 1
        try check()
    }

    /// A batch of at least 64 items (the parallel path), mostly a few hundred, up to `maxBatch`.
    private func largeBatchSize() -> Int {
        let upper = random.next() % 5 == 0 ? maxBatch : min(maxBatch, 300)
        return upper <= 64 ? upper : 64 + Int(random.next() % UInt64(upper - 63))
    }

    private func note(_ operation: String) {
        if trace { FileHandle.standardError.write(Data("step \(stepsRun): \(operation)\n".utf8)) }
        lastOperation = operation
        operationCounts[operation.split(separator: " ").first.map(String.init) ?? operation, default: 0] += 1
    }

    private var anyStore: FeatureStore { stores[Int(random.next() % UInt64(stores.count))] }

    private func putOne() throws {
        let item = VectorItem(id: pickID(existing: 0.5), vector: vector(), label: label())
        note("put id \(item.id)")
        try anyStore.put(item.vector, for: item.id, label: item.label)
        model.put(item)
    }

    private func putBatch(size: Int) throws {
        let items = batch(size: size)
        note("put_batch of \(items.count)")
        try anyStore.put(items)
        model.put(items)
    }

    private func deleteOne() throws {
        guard let id = pickStored() else { return try putOne() }
        note("delete id \(id)")
        try anyStore.delete(id)
        model.delete(id)
    }

    private func deleteUnknown() throws {
        let id = UInt64(idSpace) + random.next() % 1_000
        note("delete_unknown id \(id)")
        do {
            try anyStore.delete(id)
            throw Mismatch(description: "deleting unknown id \(id) did not throw")
        } catch StoreError.unknownID(let reported) where reported == id {}
    }

    private func deleteBatch() throws {
        let stored = model.ids
        guard !stored.isEmpty else { return try putBatch(size: 10) }
        let count = 1 + Int(random.next() % UInt64(min(stored.count, 100)))
        var ids = (0..<count).map { _ in stored[Int(random.next() % UInt64(stored.count))] }
        if random.next() % 3 == 0, let first = ids.first { ids.append(first) }    // an id named twice
        note("delete_batch of \(ids.count)")
        try anyStore.delete(ids)
        for id in ids { model.delete(id) }
    }

    private func mixedTransaction() throws {
        var expected = model
        let count = 1 + Int(random.next() % 40)
        note("transaction of \(count)")
        try anyStore.write { txn in
            expected = model
            var local = SeededGenerator(seed: random.next())
            for _ in 0..<count {
                let stored = expected.ids
                let pick = stored.isEmpty ? nil : stored[Int(local.next() % UInt64(stored.count))]
                switch local.next() % 5 {
                case 0 where pick != nil:
                    try txn.delete(pick!)
                    expected.delete(pick!)
                case 1 where pick != nil:
                    let values = vector()
                    try txn.update(pick!, vector: values)
                    expected.update(pick!, vector: values)
                case 2 where pick != nil:
                    let name = label()
                    try txn.setLabel(name, for: pick!)
                    expected.setLabel(name, for: pick!)
                default:
                    let item = VectorItem(id: pick ?? pickID(existing: 0), vector: vector(), label: label())
                    try txn.put(item.vector, for: item.id, label: item.label)
                    expected.put(item)
                }
            }
        }
        model = expected
    }

    private func failingBatch() throws {
        var items = batch(size: 1 + Int(random.next() % 200))
        let bad = Int(random.next() % UInt64(items.count))
        items[bad].vector[Int(random.next() % UInt64(dimension))] = .nan
        note("failing_batch of \(items.count)")
        do {
            try anyStore.put(items)
            throw Mismatch(description: "a batch with NaN in item \(bad) was written")
        } catch StoreError.batchItem(let index, _) where index == bad {}
    }

    private struct Abort: Error {}

    private func failingTransaction() throws {
        note("failing_transaction")
        do {
            try anyStore.write { txn in
                for item in batch(size: 1 + Int(random.next() % 50)) {
                    try txn.put(item.vector, for: item.id, label: item.label)
                }
                if let id = pickStored() { try txn.delete(id) }
                throw Abort()
            }
        } catch is Abort {}
    }

    private func reinsertDeleted() throws {
        // ids not stored now, many of them deleted before: their node ids are reused
        var free = (0..<UInt64(idSpace)).filter { !model.contains($0) }
        guard !free.isEmpty else { return try deleteBatch() }
        let count = min(1 + Int(random.next() % 150), free.count)
        let items = (0..<count).map { _ in
            let id = free.remove(at: Int(random.next() % UInt64(free.count)))
            return VectorItem(id: id, vector: vector(), label: label())
        }
        note("reinsert of \(items.count)")
        try anyStore.put(items)
        model.put(items)
    }

    /// Two threads write at once through the two store objects, on disjoint ids.
    private func concurrentStores() throws {
        let first = batch(size: 1 + Int(random.next() % 150)), firstIDs = Set(first.map(\.id))
        let second = batch(size: 1 + Int(random.next() % 150)).filter { !firstIDs.contains($0.id) }
        note("concurrent_stores of \(first.count) and \(second.count)")
        let sides = [(stores[0], first), (stores[1], second)]
        let failure = Mutex<String?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            do {
                try sides[side].0.put(sides[side].1)
            } catch {
                failure.withLock { $0 = $0 ?? "\(error)" }
            }
        }
        if let failure = failure.withLock({ $0 }) { throw Mismatch(description: "a concurrent batch failed: \(failure)") }
        model.put(first)
        model.put(second)
    }

    /// Another process imports a JSON-lines batch (upserts and repeated ids included) while this
    /// one writes a batch of other ids.
    private func otherProcessImports() throws {
        guard let binary else { return }
        let items = batch(size: 1 + Int(random.next() % 300)), ids = Set(items.map(\.id))
        let file = directory.path + ".import-\(stepsRun).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        var text = ""
        for item in items {
            let values = item.vector.map { "\($0)" }.joined(separator: ",")
            let label = item.label.map { ", \"label\": \"\($0)\"" } ?? ""
            text += "{\"id\": \(item.id), \"vector\": [\(values)]\(label)}\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let batchSize = 1 + Int(random.next() % UInt64(items.count))
        let mine = random.next() % 2 == 0 ? batch(size: 1 + Int(random.next() % 100)).filter { !ids.contains($0.id) } : []
        note("process_import of \(items.count) in batches of \(batchSize) beside \(mine.count)")
        let child = try ChildProcess(binary: binary, arguments: ["import", directory.path, file, "--batch-size", "\(batchSize)"])
        if !mine.isEmpty { try anyStore.put(mine) }
        try child.succeed()
        model.put(items)
        model.put(mine)
    }

    private func otherProcessRemoves() throws {
        guard let binary else { return }
        let stored = model.ids
        guard !stored.isEmpty else { return try putOne() }
        let ids = Array(Set((0..<(1 + Int(random.next() % 20))).map { _ in stored[Int(random.next() % UInt64(stored.count))] }))
        note("process_remove of \(ids.count)")
        try ChildProcess(binary: binary, arguments: ["rm", directory.path] + ids.map { "\($0)" }).succeed()
        for id in ids { model.delete(id) }
    }

    private func backupMatches() throws {
        note("backup")
        let destination = URL(fileURLWithPath: directory.path + ".backup-\(stepsRun)")
        defer { try? FileManager.default.removeItem(at: destination) }
        _ = try FeatureStore.backup(from: anyStore.directory, to: destination)
        let copy = try FeatureStore(at: destination, options: StoreOptions(createIfMissing: false, cacheBytes: 0))
        try compare(copy, what: "the backup")
    }

    private func compactAndReopen() throws {
        note("compact")
        stores = []
        _ = try FeatureStore.compact(at: directory)
        try openStores()
    }

    // MARK: checks

    private func check() throws {
        let store = anyStore
        try compare(store, what: "the store")
        largestStore = max(largestStore, model.ids.count)
        for id in (0..<3).compactMap({ _ in pickStored() }) {
            guard let expected = model.entries[id]?.vector else { continue }
            let found = try store.nearest(to: expected, count: 1, ef: 200)
            guard found.first?.id == id else {
                throw Mismatch(description: "a search for id \(id)'s vector found \(found.first.map { "\($0.id)" } ?? "nothing")")
            }
        }
    }

    private func compare(_ store: FeatureStore, what: String) throws {
        let actual = try ReferenceModel.contents(of: store)
        let differences = model.differences(from: actual)
        guard differences.isEmpty else {
            throw Mismatch(description: "\(what) differs from the model: " + differences.joined(separator: "; "))
        }
        guard try store.count() == model.ids.count else {
            throw Mismatch(description: "\(what) counts \(try store.count()) vectors; the model holds \(model.ids.count)")
        }
        let report = try store.verify()
        guard report.isClean else {
            throw Mismatch(description: "verify of \(what): " + report.problems.prefix(3).map(\.description).joined(separator: "; "))
        }
    }

    // MARK: random values

    private func vector() -> [Float] {
        (0..<dimension).map { _ in Float(Int64(random.next() % 2_000_001) - 1_000_000) / 1_000_000 }
    }

    private func label() -> String? { labels[Int(random.next() % UInt64(labels.count))] }

    /// An id: a stored one with probability `existing`, else any id of the id space.
    private func pickID(existing: Double) -> UInt64 {
        if Double(random.next() % 1_000) < existing * 1_000, let id = pickStored() { return id }
        return UInt64(random.next() % UInt64(idSpace))
    }

    private func pickStored() -> UInt64? {
        let stored = model.ids
        return stored.isEmpty ? nil : stored[Int(random.next() % UInt64(stored.count))]
    }

    /// `size` items: new ids, stored ids (upserts) and ids repeated within the batch.
    private func batch(size: Int) -> [VectorItem] {
        var items: [VectorItem] = []
        items.reserveCapacity(size)
        for _ in 0..<size {
            let id: UInt64
            if !items.isEmpty, random.next() % 10 == 0 {
                id = items[Int(random.next() % UInt64(items.count))].id
            } else {
                id = pickID(existing: 0.3)
            }
            items.append(VectorItem(id: id, vector: vector(), label: label()))
        }
        return items
    }
}

/// An fmdb child process whose output is kept for the error message.
private struct ChildProcess {
    let process = Process()
    let output = Pipe()
    let arguments: [String]

    init(binary: URL, arguments: [String]) throws {
        self.arguments = arguments
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = output
        try process.run()
    }

    /// Waits for the child; throws unless it exited 0.
    func succeed() throws {
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ModelRun.Mismatch(description: "fmdb \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(printed)")
        }
    }
}
