internal import CLMDB
internal import CFeatureMemoryShims
import Foundation
import Synchronization

/// One open LMDB environment: the map, its reader table, and the tables inside.
///
/// Read transactions may run on any thread (`MDB_NOTLS`) and in parallel; write
/// transactions are serialized. When a write fills the map, the write is aborted,
/// the map grows (up to an optional cap) and the write runs again.
final class Environment: @unchecked Sendable {
    // @unchecked: `pointer` is only used through LMDB calls that are thread-safe for an
    // environment; resizes are excluded from live transactions by `resizeLock`.

    /// How an environment is opened.
    struct Configuration: Sendable {
        /// Map size for a new environment, and the least for an existing one (address space, as
        /// `StoreOptions.initialMapSize` explains).
        var initialMapSize: Int = 256 << 30
        /// The map never grows past this many bytes; nil for no limit.
        var mapSizeCap: Int? = nil
        /// Reader slots: concurrent read transactions across all processes.
        var maxReaders: UInt32 = 1022
        /// Named tables the environment can hold.
        var maxTables: UInt32 = 32
        /// What a commit waits for before it returns.
        var durability: Durability = .full
    }

    let pointer: OpaquePointer
    let path: String
    /// How it was opened. Every store object using it opened it with these settings; only an
    /// environment no store object uses any more takes a new opening's (`adopt`).
    private(set) var configuration: Configuration {
        get { settings.withLock { $0 } }
        set { settings.withLock { $0 = newValue } }
    }
    private let settings: Mutex<Configuration>
    /// Store objects using the environment now: leases taken and not yet released.
    private let leaseCount = Mutex(0)
    /// Reader slots of dead processes cleared when the environment was opened.
    let staleReadersCleared: Int

    private let resizeLock = ReadWriteLock()
    /// Bumped by every map resize (under the exclusive lock): addresses into the map found before
    /// are stale. Read it inside a transaction, where the shared lock keeps it stable.
    private(set) var mapGeneration = 0
    // recursive: a batch holds it across its parallel searches and its write transaction
    private let writerLock = NSRecursiveLock()
    /// Whether a write transaction is open; only read and written under `writerLock`, so the only
    /// thread that can find it true is the one that opened that transaction.
    private var isWriting = false
    /// Held around every transaction that opens tables: `mdb_dbi_open` must not run in two
    /// transactions of one process at once.
    let tableLock = NSLock()

    /// The durability LMDB applies, read back from the environment's flags.
    var durabilityInEffect: Durability {
        var flags: UInt32 = 0
        mdb_env_get_flags(pointer, &flags)
        if flags & UInt32(MDB_NOSYNC) != 0 { return .noSync }
        if flags & UInt32(MDB_NOMETASYNC) != 0 { return .noMetaSync }
        return .full
    }

    /// Opens (creating the files if missing) the environment in an existing `directory`.
    init(directory: String, configuration: Configuration) throws(StoreError) {
        var envPointer: OpaquePointer?
        try check(mdb_env_create(&envPointer), "mdb_env_create")
        guard let envPointer else { throw .storage(.invalid, operation: "mdb_env_create") }
        // a failed open still owns the handle: close it on every error path below
        do {
            try check(mdb_env_set_maxdbs(envPointer, MDB_dbi(configuration.maxTables)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(envPointer, configuration.maxReaders), "mdb_env_set_maxreaders")
            // before LMDB maps the file: a truncated file or a damaged page would fault, not fail
            try DataFile.checkBeforeOpening(path: directory + "/data.mdb")
            let existing = Self.fileSize(atPath: directory + "/data.mdb")
            var mapSize = max(configuration.initialMapSize, existing)
            if let cap = configuration.mapSizeCap { mapSize = max(min(mapSize, cap), existing) }
            try check(mdb_env_set_mapsize(envPointer, mapSize), "mdb_env_set_mapsize")
            // no MDB_NOMEMINIT: unused bytes of written pages would carry stale heap contents.
            // MDB_NORDAHEAD: searches fault in pages at random; with read-ahead each fault of a
            // store larger than its memory read pages it then evicted unused (1,000,000 × 128 in a
            // cgroup allowed a quarter of the file: 800 MB/s read and under 1 query/s, 45 without)
            let flags = UInt32(MDB_NOTLS) | UInt32(MDB_NORDAHEAD) | Self.flags(for: configuration.durability)
            try check(mdb_env_open(envPointer, directory, flags, 0o644), "mdb_env_open \(directory)")
            var dead: Int32 = 0
            try check(mdb_reader_check(envPointer, &dead), "mdb_reader_check")
            staleReadersCleared = Int(dead)
        } catch {
            mdb_env_close(envPointer)
            throw error
        }
        self.pointer = envPointer
        self.path = directory
        settings = Mutex(configuration)
    }

    deinit {
        mdb_env_close(pointer)
    }

    /// Runs `body` in a read-only snapshot. Any thread; many at once.
    func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        try readOnlyTransaction(keepingTables: false, body)
    }

    /// Runs `body` holding the writer lock, so no write transaction of this process runs meanwhile;
    /// `write` may be called inside it.
    func withWriterLock<R>(_ body: () throws -> R) rethrows -> R {
        try writerLock.withLock(body)
    }

    /// Runs `body` in a read-only transaction that is committed rather than aborted, so table
    /// handles opened in it stay open for the environment (LMDB closes them on abort). For
    /// opening tables without taking the writer lock, which another process may hold.
    func readKeepingTables<R>(_ body: (Transaction) throws -> R) throws -> R {
        try tableLock.withLock { try readOnlyTransaction(keepingTables: true, body) }
    }

    /// A read-only transaction around `body`, begun again after adopting a map another process grew.
    private func readOnlyTransaction<R>(keepingTables: Bool, _ body: (Transaction) throws -> R) throws -> R {
        while true {
            let outcome: R? = try resizeLock.withShared {
                var txnPointer: OpaquePointer?
                let code = mdb_txn_begin(pointer, nil, UInt32(MDB_RDONLY), &txnPointer)
                if code == MDB_MAP_RESIZED { return nil }
                try check(code, "mdb_txn_begin (read)")
                guard let txnPointer else { throw StoreError.storage(.invalid, operation: "mdb_txn_begin") }
                let result: R
                do {
                    result = try body(Transaction(pointer: txnPointer, isReadOnly: true))
                } catch {
                    mdb_txn_abort(txnPointer)
                    throw error
                }
                if keepingTables {
                    try check(mdb_txn_commit(txnPointer), "mdb_txn_commit (read)")
                } else {
                    // read-only: abort only releases the snapshot
                    mdb_txn_abort(txnPointer)
                }
                return result
            }
            if let outcome { return outcome }
            try adoptResizeByAnotherProcess()
        }
    }

    /// Runs `body` in a write transaction and commits when it returns; aborts when it throws.
    /// Returns after the commit is durable as `Durability` promises.
    /// `body` may run more than once: when the map fills, the map grows and `body` runs again.
    /// A write started inside `body` throws `StoreError.nestedWrite` (mdb_txn_begin would wait
    /// for the transaction this thread holds, forever).
    func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        try writerLock.withLock {
            guard !isWriting else { throw StoreError.nestedWrite }
            isWriting = true
            defer { isWriting = false }
            while true {
                var ranOutOfMap = false
                var mapResized = false
                do {
                    let outcome: R? = try resizeLock.withShared {
                        var txnPointer: OpaquePointer?
                        let code = mdb_txn_begin(pointer, nil, 0, &txnPointer)
                        if code == MDB_MAP_RESIZED { mapResized = true; return nil }
                        try check(code, "mdb_txn_begin (write)")
                        guard let txnPointer else { throw StoreError.storage(.invalid, operation: "mdb_txn_begin") }
                        let txn = Transaction(pointer: txnPointer, isReadOnly: false)
                        let result: R
                        do {
                            result = try body(txn)
                        } catch {
                            ranOutOfMap = txn.ranOutOfMap
                            mdb_txn_abort(txnPointer)
                            throw error
                        }
                        // after mdb_txn_commit the handle is gone even on failure: never abort it
                        let commitCode = mdb_txn_commit(txnPointer)
                        if commitCode == MDB_MAP_FULL { ranOutOfMap = true }
                        if let full = diskFullError(commitCode) { throw full }
                        try check(commitCode, "mdb_txn_commit")
                        return result
                    }
                    if let outcome { return outcome }
                } catch {
                    guard ranOutOfMap else { throw error }
                }
                if mapResized {
                    try adoptResizeByAnotherProcess()
                } else {
                    try growMap()
                }
            }
        }
    }

    /// `StoreError.diskFull` when a failed commit is explained by a full filesystem: ENOSPC, or
    /// the EIO LMDB reports for a short write when little space is left.
    private func diskFullError(_ code: Int32) -> StoreError? {
        guard code == ENOSPC || code == EIO else { return nil }
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return code == ENOSPC ? .diskFull(path: path, availableBytes: nil) : nil }
        let available = Int(stats.f_bavail) * Int(stats.f_frsize)
        // a short write means the filesystem ran out during it; what is left is less than one write
        guard code == ENOSPC || available < Self.shortWriteSlack else { return nil }
        return .diskFull(path: path, availableBytes: available)
    }

    /// Free space below which a short write at commit is taken for a full disk rather than a
    /// failing device.
    static let shortWriteSlack = 64 << 20

    /// Opens (creating when `create`) a named table. Call inside a write transaction that
    /// commits, or a read transaction for tables that exist. The handle stays valid until close.
    func openTable(_ name: StaticString, kind: TableKind = [], create: Bool, in txn: Transaction) throws(StoreError) -> Table? {
        var flags: UInt32 = create ? UInt32(MDB_CREATE) : 0
        if kind.contains(.duplicateFixedValues) { flags |= UInt32(MDB_DUPSORT) | UInt32(MDB_DUPFIXED) }
        if kind.contains(.integerKeys) { flags |= UInt32(MDB_INTEGERKEY) }
        if kind.contains(.integerValues) { flags |= UInt32(MDB_INTEGERDUP) }
        var handle: MDB_dbi = 0
        let code = mdb_dbi_open(txn.pointer, name.description, flags, &handle)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_dbi_open \(name)")
        return Table(name: name, handle: handle, allowsDuplicates: kind.contains(.duplicateFixedValues))
    }

    /// A lease on the environment for one store object: while any lease is held, an opening
    /// with other settings is refused instead of changing them under that store object.
    func lease() -> EnvironmentLease {
        leaseCount.withLock { $0 += 1 }
        return EnvironmentLease(self)
    }

    /// Called by a lease when its store object is gone.
    fileprivate func releaseLease() {
        leaseCount.withLock { $0 -= 1 }
    }

    /// Whether a store object uses the environment now.
    var isLeased: Bool { leaseCount.withLock { $0 > 0 } }

    /// The mismatch error for the first setting in which `opening` differs from this environment's
    /// own; nil when they agree. Durability, the map-size cap and the initial map size belong to
    /// the environment, which every store object on the directory in this process shares: taking
    /// another opening's would change them under the store objects open now (or ignore it).
    func mismatch(with opening: Configuration) -> StoreError? {
        let own = configuration
        if opening.durability != own.durability {
            return .configurationMismatch(field: "durability", stored: own.durability.rawValue, requested: opening.durability.rawValue)
        }
        if opening.mapSizeCap != own.mapSizeCap {
            return .configurationMismatch(
                field: "mapSizeCap", stored: own.mapSizeCap.map { "\($0)" } ?? "none",
                requested: opening.mapSizeCap.map { "\($0)" } ?? "none")
        }
        if opening.initialMapSize != own.initialMapSize {
            return .configurationMismatch(field: "initialMapSize", stored: "\(own.initialMapSize)", requested: "\(opening.initialMapSize)")
        }
        return nil
    }

    /// Takes the settings of a new opening when no store object uses the environment any more but
    /// it is still alive (a store object released a moment ago may still be finishing background
    /// work on it): the new opening is the only user, so its settings are the ones to keep. The
    /// map grows to the new initial size when that is larger; it never shrinks.
    func adopt(_ opening: Configuration) throws(StoreError) {
        writerLock.lock()
        defer { writerLock.unlock() }
        try check(mdb_env_set_flags(pointer, Self.flags(for: .noSync) | Self.flags(for: .noMetaSync), 0), "mdb_env_set_flags")
        let wanted = Self.flags(for: opening.durability)
        if wanted != 0 { try check(mdb_env_set_flags(pointer, wanted, 1), "mdb_env_set_flags") }
        if try info().mapSize < opening.initialMapSize {
            let code = resizeLock.withExclusive {
                mapGeneration += 1
                return mdb_env_set_mapsize(pointer, opening.initialMapSize)
            }
            try check(code, "mdb_env_set_mapsize \(opening.initialMapSize)")
        }
        var current = configuration
        current.durability = opening.durability
        current.mapSizeCap = opening.mapSizeCap
        current.initialMapSize = opening.initialMapSize
        configuration = current
    }

    /// The LMDB flags that give `durability`.
    private static func flags(for durability: Durability) -> UInt32 {
        switch durability {
        case .full: 0
        case .noMetaSync: UInt32(MDB_NOMETASYNC)
        case .noSync: UInt32(MDB_NOSYNC)
        }
    }

    /// Doubles the map (up to the cap) after a write ran out of space.
    private func growMap() throws(StoreError) {
        let current = try info().mapSize
        var target = max(current * 2, current + (1 << 20))
        if let cap = configuration.mapSizeCap {
            guard current < cap else { throw .mapSizeCapReached(cap: cap) }
            target = min(target, cap)
        }
        let code = resizeLock.withExclusive {
            mapGeneration += 1
            return mdb_env_set_mapsize(pointer, target)
        }
        try check(code, "mdb_env_set_mapsize \(target)")
    }

    /// Runs `call`, an LMDB call that begins its own read transaction and reads the map through
    /// it (`mdb_env_copyfd2`), while no resize of this process can move the map; runs it again,
    /// after `restart`, when another process's resize kept its transaction from beginning.
    func withMapHeldInPlace(restart: () throws(StoreError) -> Void, _ call: () -> Int32) throws(StoreError) -> Int32 {
        while true {
            let code = resizeLock.withShared(call)
            guard code == MDB_MAP_RESIZED else { return code }
            try adoptResizeByAnotherProcess()
            try restart()
        }
    }

    /// Takes the larger map another process has set (`MDB_MAP_RESIZED`).
    private func adoptResizeByAnotherProcess() throws(StoreError) {
        let code = resizeLock.withExclusive {
            mapGeneration += 1
            return mdb_env_set_mapsize(pointer, 0)
        }
        try check(code, "mdb_env_set_mapsize 0")
    }

    static func fileSize(atPath path: String) -> Int {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : 0
    }
}

/// One store object's use of an environment, released with the store object: the environment
/// counts its leases to tell an opening that joins store objects in use (whose settings it must
/// share) from one that merely finds the environment still alive.
final class EnvironmentLease: Sendable {
    /// The environment leased.
    let environment: Environment

    fileprivate init(_ environment: Environment) { self.environment = environment }

    deinit { environment.releaseLease() }
}
