internal import CLMDB
internal import CFeatureMemoryShims
import Foundation
import Synchronization

/// What an environment holds and who reads it: tables, free pages, map and reader facts, and the
/// map populated ahead of searches.
extension Environment {
    /// Whether the unnamed main table holds nothing: a new environment, or one whose first
    /// commit never happened. Named tables are entries of the main table.
    func mainTableIsEmpty(in txn: Transaction) throws(StoreError) -> Bool {
        var handle: MDB_dbi = 0
        try check(mdb_dbi_open(txn.pointer, nil, 0, &handle), "mdb_dbi_open (main)")
        var stat = MDB_stat()
        try check(mdb_stat(txn.pointer, handle, &stat), "mdb_stat (main)")
        return stat.ms_entries == 0
    }

    /// Pages on LMDB's free list (freed by earlier transactions, reused by later writes),
    /// counted as `mdb_stat -f` does: each free-list record starts with its page count.
    func freePageCount(in txn: Transaction) throws(StoreError) -> Int {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn.pointer, 0, &cursor), "mdb_cursor_open (free list)")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val(), value = MDB_val()
        var pages = 0
        while true {
            let code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            if code == MDB_NOTFOUND { break }
            try check(code, "mdb_cursor_get (free list)")
            guard value.mv_size >= MemoryLayout<Int>.size, let data = value.mv_data else { continue }
            // a count from the file: saturate rather than trap on a damaged one
            let (sum, overflow) = pages.addingReportingOverflow(max(data.loadUnaligned(as: Int.self), 0))
            pages = overflow ? Int.max : sum
        }
        return pages
    }

    /// The map size, pages in use and readers (`countingReaders: false` leaves `readersInUse` 0
    /// and skips walking the reader table, for callers that read this often). The corresponding
    /// LMDB calls are `mdb_env_info` and `mdb_env_stat`.
    func info(countingReaders: Bool = true) throws(StoreError) -> EnvironmentInfo {
        var info = MDB_envinfo()
        try check(mdb_env_info(pointer, &info), "mdb_env_info")
        var stat = MDB_stat()
        try check(mdb_env_stat(pointer, &stat), "mdb_env_stat")
        return EnvironmentInfo(
            mapSize: info.me_mapsize, pageSize: Int(stat.ms_psize), lastPage: info.me_last_pgno,
            lastTransactionID: info.me_last_txnid, maxReaders: Int(info.me_maxreaders),
            readersInUse: countingReaders ? try liveReaderCount() : 0,
            fileSize: Self.fileSize(atPath: path + "/data.mdb"))
    }

    /// Reader slots held by open read transactions now, in every process. (`me_numreaders` is a
    /// high-water mark.) The corresponding LMDB call is `mdb_reader_list`, one line per reader.
    func liveReaderCount() throws(StoreError) -> Int {
        var count = 0
        let code = withUnsafeMutablePointer(to: &count) { counter in
            mdb_reader_list(pointer, { message, context in
                guard let message, let context else { return 0 }
                // reader lines start with the pid; the header and "(no active readers)" do not
                let line = String(cString: message).drop { $0 == " " }
                if let first = line.first, first.isNumber {
                    context.assumingMemoryBound(to: Int.self).pointee += 1
                }
                return 0
            }, counter)
        }
        guard code >= 0 else { throw .storage(LMDBCode(rawValue: code), operation: "mdb_reader_list") }
        return count
    }

    /// Clears reader slots left by dead processes; returns how many. The LMDB call is `mdb_reader_check`.
    func clearStaleReaders() throws(StoreError) -> Int {
        var dead: Int32 = 0
        try check(mdb_reader_check(pointer, &dead), "mdb_reader_check")
        return Int(dead)
    }

    /// Flushes the data to disk, even under `.noSync`. The corresponding LMDB call is `mdb_env_sync`.
    func sync() throws(StoreError) {
        try check(mdb_env_sync(pointer, 1), "mdb_env_sync")
    }

    /// Writes a consistent copy of the environment's data file, as of one snapshot, to the open
    /// file `descriptor`, leaving out free pages when `compact`. The corresponding LMDB call is
    /// `mdb_env_copyfd2`.
    /// A write of this process that grows the map meanwhile waits: remapped under the copy, the
    /// pages it walks would be gone (a backup beside growing writes died of SIGSEGV in LMDB).
    func copy(toDescriptor descriptor: Int32, compact: Bool) throws(StoreError) {
        let flags = compact ? UInt32(MDB_CP_COMPACT) : 0
        let code = try withMapHeldInPlace(restart: { () throws(StoreError) in
            // nothing is written before the copy's transaction begins; start the file over anyway
            guard lseek(descriptor, 0, SEEK_SET) == 0, ftruncate(descriptor, 0) == 0 else {
                throw StoreError.io(path: path, reason: "cannot rewind the copy: \(String(cString: strerror(errno)))")
            }
        }) { mdb_env_copyfd2(pointer, descriptor, flags) }
        try check(code, "mdb_env_copyfd2")
    }

    /// Maps the pages in use into this process's page tables now, reading from the file what the
    /// page cache lacks, unless more than `limit` bytes are in use; returns the bytes mapped (0
    /// when none). Call it inside a read transaction, which keeps the map where it is: a first
    /// read of each page of the map costs a page fault, which searches would otherwise pay.
    /// It works in pieces of `populateChunk` bytes and stops between two when `stop` says so
    /// (a store closing), returning the bytes mapped by then.
    @discardableResult
    func populateMap(limit: Int, until stop: () -> Bool = { false }) -> Int {
        var info = MDB_envinfo(), stat = MDB_stat()
        guard mdb_env_info(pointer, &info) == 0, mdb_env_stat(pointer, &stat) == 0 else { return 0 }
        let bytes = (Int(info.me_last_pgno) + 1) * Int(stat.ms_psize)
        guard bytes <= limit, bytes <= info.me_mapsize, let address = mapAddress() else { return 0 }
        var done = 0
        while done < bytes {
            if stop() { return done }
            let piece = min(Self.populateChunk, bytes - done)
            _ = fm_populate_read(address + done, piece)
            done += piece
        }
        return bytes
    }

    /// How many bytes of the map one populating call maps (about a millisecond from the page cache).
    static let populateChunk = 8 << 20

    /// Where this process mapped the data file, from /proc/self/maps (LMDB does not say: its
    /// `me_mapaddr` is only set for fixed maps); nil where that file does not exist.
    private func mapAddress() -> UnsafeMutableRawPointer? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        let file = URL(fileURLWithPath: path).resolvingSymlinksInPath().appendingPathComponent("data.mdb").path
        for line in maps.split(separator: "\n") where line.hasSuffix(" " + file) {
            guard let dash = line.firstIndex(of: "-"), let start = UInt(line[..<dash], radix: 16) else { continue }
            return UnsafeMutableRawPointer(bitPattern: start)
        }
        return nil
    }
}
