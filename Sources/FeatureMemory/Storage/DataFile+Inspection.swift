import Synchronization

/// Page walks made by openings in this process, per data file path (read by tests).
let walksBeforeOpening = Mutex<[String: Int]>([:])

extension DataFile {
    /// Up to this many bytes in use, every opening reads every page of every tree before LMDB
    /// maps the file; above it, only the main tree and the branch pages. Measured (release, page
    /// cache warm, 2 busy cores): every page of an 86 MB store (30,833 × 384) 30–110 ms, of a
    /// 244 MB one 260–350 ms; branch pages only 3–4 ms and 17–25 ms. About 1 µs a page, half
    /// of it `pread`'s copy and system call, so a GiB would add most of a second to every command.
    static let everyPageLimit = 256 << 20

    /// The damage in the data file at `path`, walked as `depth` says from a stable meta page;
    /// empty when sound or when the file holds no LMDB data yet (LMDB decides about those).
    ///
    /// Pages are read without a reader slot, so a writer in another process may reuse a page the
    /// walk reads; that needs a commit, which changes the meta page. Damage counts only when the
    /// meta page is the same before and after the walk; otherwise the walk runs again.
    static func damage(atPath path: String, depth: PageWalk.Depth? = nil) throws(StoreError) -> [PageDamage] {
        for _ in 0..<5 {
            let file: DataFile
            do {
                guard let opened = try DataFile(path: path) else { return [] }
                file = opened
            } catch let StoreError.damagedFile(_, page, table, reason) {
                return [PageDamage(page: page, table: table, reason: reason)]
            }
            var found: [PageDamage]
            do {
                try file.checkSize()
                let used = (Int(clamping: file.lastPage) + 1) * file.pageSize
                var walk = PageWalk(file: file, depth: depth ?? (used <= everyPageLimit ? .everyPage : .branchPages))
                walk.run()
                found = walk.damages
            } catch let StoreError.damagedFile(_, page, table, reason) {
                found = [PageDamage(page: page, table: table, reason: reason)]
            }
            if found.isEmpty { return [] }
            let again = try? DataFile(path: path)
            if again?.meta.transactionID == file.meta.transactionID { return found }
        }
        // a writer kept committing: what was read was never one snapshot, and the file is in use
        return []
    }

    /// Throws `damagedFile` for the first damage in the store file at `path`: the check every
    /// opening makes before LMDB reads a page.
    ///
    /// A file whose last walk found it sound and which has not changed since (`WalkRecord`) only
    /// gets the checks of its meta pages and size: walking every page of a 100 MB store takes
    /// most of the time a one-query process runs.
    static func checkBeforeOpening(path: String) throws(StoreError) {
        let before: WalkRecord?
        do {
            guard let file = try DataFile(path: path) else { return }
            try file.checkSize()
            let everyPage = (Int(clamping: file.lastPage) + 1) * file.pageSize <= everyPageLimit
            before = WalkRecord(file: file, everyPage: everyPage)
            if let before, let saved = WalkRecord.load(beside: path), saved.covers(before) { return }
        } catch let StoreError.damagedFile(_, page, table, reason) {
            WalkRecord.remove(beside: path)
            throw .damagedFile(path: path, page: page, table: table, reason: reason)
        }
        walksBeforeOpening.withLock { $0[path, default: 0] += 1 }
        if let first = try damage(atPath: path).first {
            WalkRecord.remove(beside: path)
            throw .damagedFile(path: path, page: first.page, table: first.table, reason: first.reason)
        }
        // recorded only when nothing changed the file during the walk, and it changed long enough
        // ago that a later write cannot share its change time
        if let before, before.isSettled(), let again = try? DataFile(path: path),
           let after = WalkRecord(file: again, everyPage: before.everyPage), after == before {
            before.save(beside: path)
        }
    }
}
