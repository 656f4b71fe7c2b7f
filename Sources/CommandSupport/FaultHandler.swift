import Foundation

/// The last line of defence against a damaged store file: SIGBUS or SIGSEGV while reading LMDB's
/// map ends fmdb with exit 1 and a one-line message instead of a core dump.
///
/// It is not the mechanism: every opening checks the file's pages first, and the library throws
/// `StoreError.damagedFile` to its callers. What the check leaves open is a leaf page of a store
/// above 256 MiB (only branch pages are read at open) and a file damaged while it is open.
/// `FMDB_FAULT_HANDLER=0` leaves the signals alone, as tools/damage-test does, so that a fault
/// is seen for what it is.
public enum FaultHandler {
    /// Installs the handler for SIGBUS and SIGSEGV unless `FMDB_FAULT_HANDLER` is `0`.
    public static func install() {
        // getenv, not ProcessInfo's environment dictionary, which copies the whole environment
        // into Swift strings at every process start
        if let setting = getenv("FMDB_FAULT_HANDLER"), String(cString: setting) == "0" { return }
        for signal in [SIGBUS, SIGSEGV] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                // only async-signal-safe calls here (no allocation): write(2) of a static message, _exit(2)
                let message: StaticString = number == SIGBUS
                    ? "Error: fmdb stopped on SIGBUS reading the store: its file is truncated or damaged where it was not checked; run `fmdb verify STORE`, then `fmdb salvage STORE NEW`\n"
                    : "Error: fmdb stopped on SIGSEGV, reading a store whose file may be damaged where it was not checked; run `fmdb verify STORE`, then `fmdb salvage STORE NEW`\n"
                _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
                _exit(1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }
}
