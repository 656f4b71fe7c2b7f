import Foundation

/// Decimal text with a fixed number of fractional digits, as `String(format: "%.Nf")` writes it,
/// without Foundation's C-variadic formatter: its first use in a process initializes locale
/// machinery that cost a one-shot `fmdb search` about as much as its query.
enum FixedPoint {
    /// `value` rounded half away from zero to `digits` (0…9) fractional digits; non-finite values
    /// as "nan", "inf" and "-inf".
    static func format(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        let digits = min(max(digits, 0), 9)
        var scale: Double = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        // Past 10^15 units one multiplication can move the last digit; printf's exact expansion is
        // worth its cost for such rare values.
        guard scaled < 1e15 else { return String(format: "%.\(digits)f", value) }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        let sign = value.sign == .minus ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let fraction = String(units % UInt64(scale))
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
