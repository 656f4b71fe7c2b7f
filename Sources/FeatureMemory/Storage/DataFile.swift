import Foundation

/// A store's `data.mdb` read with `pread`, never through a map: a short or damaged file gives a
/// thrown `StoreError.damagedFile`, where reading LMDB's map past the end of the file would
/// raise SIGBUS.
final class DataFile {
    let path: String
    private let descriptor: Int32
    /// The file's size in bytes when it was opened.
    let size: Int
    /// The meta page LMDB will use: the valid one with the higher transaction id.
    let meta: LMDBPage.Meta
    /// Which meta page that is (0 or 1).
    let metaPage: Int
    /// The meta page that is not valid, when `eitherMeta` let the other one do.
    private(set) var invalidMeta: Int?

    var pageSize: Int { meta.pageSize }
    var lastPage: UInt64 { meta.lastPage }

    /// Opens `path` and reads both meta pages. Returns nil when the file holds no valid meta
    /// page at all (a new, empty or foreign file): LMDB itself refuses or initializes those.
    /// With `eitherMeta` (for salvage), one valid meta page is enough.
    init?(path: String, eitherMeta: Bool = false) throws(StoreError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = descriptor
        // LMDB reads meta page 1 at the page size meta page 0 names; do the same
        var first = Self.readPage(descriptor, offset: 0, count: 256).flatMap { LMDBPage(bytes: $0).metaFields }
        if first == nil, let second = Self.readPage(descriptor, offset: 4096, count: 256).flatMap({ LMDBPage(bytes: $0).metaFields }) {
            // meta page 1 where LMDB's page size on Linux puts it: an LMDB file whose page 0 is damaged
            guard eitherMeta else {
                close(descriptor)
                throw .damagedFile(path: path, page: 0, table: nil, reason: "meta page 0 is not a valid LMDB meta page")
            }
            first = second
            invalidMeta = 0
        }
        guard let first else {
            close(descriptor)
            return nil
        }
        guard (512...65536).contains(first.pageSize), first.pageSize.nonzeroBitCount == 1 else {
            close(descriptor)
            throw .damagedFile(path: path, page: 0, table: nil, reason: "meta page 0 names a page size of \(first.pageSize) bytes")
        }
        var second = Self.readPage(descriptor, offset: first.pageSize, count: 256).flatMap { LMDBPage(bytes: $0).metaFields }
        if eitherMeta && second == nil {
            second = first
            invalidMeta = 1
        }
        guard let second else {
            var status = stat()
            let size = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
            close(descriptor)
            let reason = size < 2 * first.pageSize ? "the file is truncated to \(size) bytes" : "meta page 1 is not a valid LMDB meta page"
            throw .damagedFile(path: path, page: 1, table: nil, reason: reason)
        }
        // mdb_env_pick_meta: the higher transaction id wins, page 1 on a tie
        (meta, metaPage) = first.transactionID > second.transactionID ? (first, 0) : (second, 1)
        // the size after the meta: a writer grows the file before it writes a meta naming new pages
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw .io(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        size = Int(status.st_size)
        guard meta.pageSize == first.pageSize else {
            close(descriptor)
            throw .damagedFile(path: path, page: metaPage, table: nil, reason: "the meta pages disagree on the page size")
        }
    }

    deinit { close(descriptor) }

    /// The file's status now (`fstat`); nil when it cannot be read.
    func status() -> stat? {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? status : nil
    }

    /// Checks that every page the current meta page can reach lies inside the file, and that its
    /// roots name pages that exist: the check every opening makes before LMDB maps the file.
    ///
    /// The file may end before the meta page's last page when the pages past its end are free:
    /// LMDB does not write a page a transaction allocated and freed again (an overflow run
    /// replaced by a longer one, a page emptied), yet counts it as used and lists it as free.
    /// Only then is the free list read, and the short file accepted when it names every page
    /// the file lacks.
    func checkSize() throws(StoreError) {
        let (needed, overflow) = (Int(clamping: lastPage) &+ 1).multipliedReportingOverflow(by: pageSize)
        guard !overflow, lastPage < UInt64(Int.max), needed <= size || missingPagesAreFree() else {
            throw .damagedFile(
                path: path, page: Int(clamping: lastPage), table: nil,
                reason: "the file is truncated: \(size) bytes, but meta page \(metaPage) uses pages up to \(lastPage) (\(overflow ? "more than \(Int.max)" : "\(needed)") bytes)")
        }
        for (name, db) in [("main", meta.mainDB), ("free pages", meta.freeDB)] where db.root != LMDBPage.invalidPage {
            guard db.root >= 2, db.root <= lastPage else {
                throw .damagedFile(path: path, page: metaPage, table: name,
                                   reason: "meta page \(metaPage) names root page \(db.root), outside pages 2…\(lastPage)")
            }
        }
    }

    /// Whether every page from the file's end to the last page is on the free list (which must be
    /// intact), and the file ends on a page boundary.
    func missingPagesAreFree() -> Bool {
        let firstMissing = size / pageSize
        guard size % pageSize == 0, firstMissing >= 2, Int(clamping: lastPage) - firstMissing < PageWalk.unwrittenTailLimit
        else { return false }
        var walk = PageWalk(file: self, depth: .everyPage)
        walk.runFreeList()
        guard walk.damages.isEmpty else { return false }
        return (firstMissing...Int(lastPage)).allSatisfy { $0 < walk.free.count && walk.free[$0] }
    }

    /// The bytes of page `number` (one page; `count` pages for an overflow run), or nil when the
    /// file does not hold them.
    func page(_ number: UInt64, count: Int = 1) -> [UInt8]? {
        // within the file as well as the meta page: a count from a damaged header must not size
        // the buffer (salvage reads files whose meta page names pages far past the end)
        guard number <= lastPage, count >= 1, number &+ UInt64(count) - 1 <= lastPage,
              count <= size / pageSize, Int(number) <= size / pageSize - count else { return nil }
        return Self.readPage(descriptor, offset: Int(number) * pageSize, count: count * pageSize)
    }

    private static func readPage(_ descriptor: Int32, offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return bytes
    }
}
