import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar {
    private let total: Int?
    private let label: String
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private let start = Date()

    init(total: Int?, label: String) {
        self.total = total
        self.label = label
        enabled = isatty(STDERR_FILENO) != 0
    }

    /// Redraws at most ten times a second.
    mutating func update(_ done: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
        var line = "\r\(label) \(done)"
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "/\(total) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]"
            line += String(format: " %3.0f%%", fraction * 100)
        }
        line += String(format: " %.0f rows/s", rate)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Clears the bar's line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
