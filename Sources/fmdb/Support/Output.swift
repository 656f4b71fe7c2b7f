import Foundation

/// Printing of results: text for people, JSON (sorted keys, snake_case) for scripts.
enum Output {
    /// Prints `value` as one JSON document on one line.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        // lines from print() wait in stdio's buffer when stdout is a file or pipe: flush them
        // first, so the JSON comes where it was printed (last, for summaries)
        fflush(nil)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Prints a line to standard error (progress, timings), leaving stdout to results.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Bytes as a human-readable size.
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// Seconds since 1970 as an ISO 8601 date.
    static func date(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
