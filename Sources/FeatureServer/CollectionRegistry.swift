import FeatureMemory
import Foundation
import Logging
import Synchronization

/// The collections of the served directory: every subdirectory that is a store, opened at start,
/// created and deleted through the API. Names are checked before they touch the file system.
final class CollectionRegistry: Sendable {
    /// The served directory.
    let directory: URL
    private let storeOptions: StoreOptions
    private let groupCommit: Bool
    private let open = Mutex<[String: Collection]>([:])
    /// Names being created or deleted: a second request for one of them waits for none, it is refused.
    private let busy = Mutex<Set<String>>([])
    /// Collections that failed to open at start, with the reason (they keep /readyz at 503).
    let failed: Mutex<[String: String]> = Mutex([:])
    private let logger: Logger
    private let metrics: ServerMetrics?

    /// Opens every store in `directory` (made when missing), reporting to `metrics`. Leftovers
    /// of interrupted deletions are removed.
    init(directory: URL, storeOptions: StoreOptions, groupCommit: Bool, metrics: ServerMetrics?, logger: Logger) throws {
        self.directory = directory
        self.groupCommit = groupCommit
        self.storeOptions = storeOptions
        self.metrics = metrics
        self.logger = logger
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        for entry in entries {
            let path = directory.appendingPathComponent(entry)
            if entry.hasPrefix(Self.deletedPrefix) {
                try? FileManager.default.removeItem(at: path)
                continue
            }
            guard Self.isValidName(entry), FileManager.default.fileExists(atPath: path.appendingPathComponent("data.mdb").path) else {
                continue
            }
            do {
                var options = storeOptions
                options.createIfMissing = false
                let collection = try openCollection(entry, at: path, options: options)
                collection.warmUp()
                open.withLock { $0[entry] = collection }
            } catch {
                logger.error("collection \(entry) did not open: \(error)")
                failed.withLock { $0[entry] = "\(error)" }
            }
        }
    }

    private static let deletedPrefix = ".deleted-"

    /// Opens the store of collection `name` with its series on /metrics.
    private func openCollection(_ name: String, at path: URL, options: StoreOptions) throws -> Collection {
        let collectionMetrics = metrics?.collection(name)
        var options = options
        if let collectionMetrics { options.metricsFactory = collectionMetrics.storeFactory }
        do {
            return Collection(name: name, store: try FeatureStore(at: path, options: options), groupCommit: groupCommit, metrics: collectionMetrics)
        } catch {
            collectionMetrics?.unregister()
            throw error
        }
    }

    /// Whether `name` may name a collection: `[A-Za-z0-9_-]{1,64}`.
    static func isValidName(_ name: String) -> Bool {
        Limits.nameLength.contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
        }
    }

    /// 400 unless `name` is a valid collection name.
    static func checkName(_ name: String) throws {
        guard isValidName(name) else {
            throw APIError(.badRequest, "invalid_name", "collection names are 1–64 letters, digits, _ or -")
        }
    }

    /// Runs `body` with the collection named `name` counted as in use; 404 when there is none.
    func using<R>(_ name: String, _ body: (Collection) async throws -> R) async throws -> R {
        try Self.checkName(name)
        let collection = open.withLock { table -> Collection? in
            let collection = table[name]
            collection?.enter()
            return collection
        }
        guard let collection else { throw APIError.notFound("no collection named \(name)") }
        defer { collection.leave() }
        return try await body(collection)
    }

    /// Every open collection, by name.
    var all: [Collection] { open.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// Whether every collection is open and warm.
    var isReady: Bool { failed.withLock { $0.isEmpty } && all.allSatisfy { $0.isWarm.load(ordering: .acquiring) } }

    /// Creates a collection; returns it and whether it was created (false: it existed with the same settings).
    func create(_ name: String, settings: CollectionSettings) throws -> (Collection, created: Bool) {
        try Self.checkName(name)
        try claim(name)
        defer { release(name) }
        if let existing = open.withLock({ $0[name] }) {
            guard existing.settings == settings else {
                throw APIError.conflict("collection \(name) exists with other settings: \(describe(existing.settings))")
            }
            return (existing, false)
        }
        let path = directory.appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: path.path) else {
            throw APIError.conflict("\(name) exists in the served directory and is not an open collection")
        }
        var options = storeOptions
        options.dimension = settings.dimension
        options.metric = settings.metric
        options.hnsw = HNSWParameters(m: settings.m, efConstruction: settings.efConstruction)
        options.encoding = settings.encoding
        options.createIfMissing = true
        let collection = try openCollection(name, at: path, options: options)
        collection.isWarm.store(true, ordering: .releasing)
        open.withLock { $0[name] = collection }
        return (collection, true)
    }

    /// Deletes a collection: new requests get 404 at once; the deletion waits for the requests
    /// using it, commits its pending writes, closes the store and removes the directory.
    func delete(_ name: String) async throws {
        try Self.checkName(name)
        try claim(name)
        defer { release(name) }
        let path = try await retire(name)
        let parked = directory.appendingPathComponent("\(Self.deletedPrefix)\(name)-\(UUID().uuidString)")
        try FileManager.default.moveItem(at: path, to: parked)
        try? FileManager.default.removeItem(at: parked)
        // the path may be reused only when no object in this process maps the old store
        try await waitUntilClosed(path)
    }

    /// Closes every collection after its pending writes committed (at shutdown).
    func closeAll() {
        let collections = open.withLock { table -> [Collection] in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for collection in collections { collection.writer.close() }
    }

    /// Takes the collection out of the table, waits for its requests and commits its writes;
    /// returns its directory. Its last reference ends here, so the store can close.
    private func retire(_ name: String) async throws -> URL {
        guard let collection = open.withLock({ $0.removeValue(forKey: name) }) else {
            throw APIError.notFound("no collection named \(name)")
        }
        for _ in 0..<3_000 where collection.userCount > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        collection.writer.close()
        collection.metrics?.unregister()
        return collection.store.directory
    }

    private func waitUntilClosed(_ path: URL) async throws {
        for _ in 0..<3_000 where FeatureStore.isOpenInProcess(at: path) {
            try await Task.sleep(for: .milliseconds(10))
        }
        if FeatureStore.isOpenInProcess(at: path) {
            logger.warning("the deleted collection at \(path.path) is still open after 30 s")
        }
    }

    private func claim(_ name: String) throws {
        let claimed = busy.withLock { $0.insert(name).inserted }
        guard claimed else { throw APIError.conflict("collection \(name) is being created or deleted; retry") }
    }

    private func release(_ name: String) { _ = busy.withLock { $0.remove(name) } }

    private func describe(_ settings: CollectionSettings) -> String {
        "dimension \(settings.dimension), metric \(settings.metric.rawValue), m \(settings.m), ef_construction \(settings.efConstruction), "
            + "encoding \(settings.encoding.rawValue)"
    }
}
