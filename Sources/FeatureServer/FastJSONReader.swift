#if canImport(Glibc)
import Glibc
#endif

/// A strict reader of the small JSON subset the hot request bodies use (objects, arrays of
/// numbers, integers, plain strings, booleans, null), several times faster than JSONDecoder for a
/// vector of numbers. Every method returns nil for anything outside the subset, and the caller
/// then decodes with JSONDecoder, which also gives the error: this reader never decides that a
/// body is wrong, only that it is plainly right.
struct FastJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// A reader of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Skips JSON whitespace.
    mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// Consumes `byte` after whitespace; false (consuming nothing) when it is not next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard current == byte else { return false }
        index += 1
        return true
    }

    /// Whether only whitespace is left.
    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// Consumes `null` when it is next.
    mutating func takeNull() -> Bool { takeWord("null") }

    /// A string without escapes or control characters, valid UTF-8.
    mutating func string() -> String? {
        guard take(0x22) else { return nil }
        let start = index
        while let byte = current, byte != 0x22 {
            if byte == 0x5C || byte < 0x20 { return nil }
            index += 1
        }
        guard current == 0x22 else { return nil }
        let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        index += 1
        return text
    }

    /// An integer in JSON's grammar without fraction or exponent that fits `Int`.
    mutating func integer() -> Int? {
        guard let (negative, magnitude) = unsignedDigits() else { return nil }
        if negative { return magnitude <= UInt64(Int.max) ? -Int(magnitude) : nil }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    /// A non-negative integer that fits `UInt64`.
    mutating func unsigned() -> UInt64? {
        guard let (negative, magnitude) = unsignedDigits(), !negative else { return nil }
        return magnitude
    }

    /// `true` or `false`.
    mutating func boolean() -> Bool? {
        if takeWord("true") { return true }
        if takeWord("false") { return false }
        return nil
    }

    /// An array of numbers, each converted to the nearest float32 (nil when one overflows or
    /// underflows to zero, which JSONDecoder refuses or treats otherwise).
    mutating func floats() -> [Float]? {
        guard take(0x5B) else { return nil }
        var values: [Float] = []
        values.reserveCapacity(512)
        if take(0x5D) { return values }
        repeat {
            guard let value = float() else { return nil }
            values.append(value)
        } while take(0x2C)
        return take(0x5D) ? values : nil
    }

    /// The keys of an object, in order, each followed by a call of `value` that must consume the value.
    mutating func object(_ value: (inout FastJSONReader, String) -> Bool) -> Bool {
        guard take(0x7B) else { return false }
        if take(0x7D) { return true }
        var seen: Set<String> = []
        repeat {
            guard let key = string(), seen.insert(key).inserted, take(0x3A) else { return false }
            skipSpace()
            guard value(&self, key) else { return false }
        } while take(0x2C)
        return take(0x7D)
    }

    /// The elements of an array, each read by `element`.
    mutating func array(_ element: (inout FastJSONReader, Int) -> Bool) -> Bool {
        guard take(0x5B) else { return false }
        if take(0x5D) { return true }
        var position = 0
        repeat {
            skipSpace()
            guard element(&self, position) else { return false }
            position += 1
        } while take(0x2C)
        return take(0x5D)
    }

    private mutating func takeWord(_ word: StaticString) -> Bool {
        skipSpace()
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func unsignedDigits() -> (negative: Bool, magnitude: UInt64)? {
        skipSpace()
        let negative = current == 0x2D
        if negative { index += 1 }
        guard let first = current, (0x30...0x39).contains(first) else { return nil }
        var magnitude: UInt64 = 0
        var digits = 0
        while let byte = current, (0x30...0x39).contains(byte) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            digits += 1
            index += 1
        }
        // a leading zero, a fraction or an exponent: leave it to JSONDecoder
        if first == 0x30, digits > 1 { return nil }
        if let byte = current, byte == 0x2E || byte == 0x65 || byte == 0x45 { return nil }
        return (negative, magnitude)
    }

    private mutating func float() -> Float? {
        skipSpace()
        let start = index
        if current == 0x2D { index += 1 }
        guard digitRun(allowLeadingZero: false) else { return nil }
        var nonZero = bytes[start..<index].contains { (0x31...0x39).contains($0) }
        if current == 0x2E {
            index += 1
            let fraction = index
            guard digitRun(allowLeadingZero: true) else { return nil }
            nonZero = nonZero || bytes[fraction..<index].contains { (0x31...0x39).contains($0) }
        }
        if let byte = current, byte == 0x65 || byte == 0x45 {
            index += 1
            if let sign = current, sign == 0x2B || sign == 0x2D { index += 1 }
            guard digitRun(allowLeadingZero: true) else { return nil }
        }
        let length = index - start
        guard length < 64 else { return nil }
        var text = (UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                    UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0))
        let value = withUnsafeMutableBytes(of: &text) { buffer -> Float in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            buffer[length] = 0
            return strtof(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), nil)
        }
        guard value.isFinite, value != 0 || !nonZero else { return nil }
        return value
    }

    private mutating func digitRun(allowLeadingZero: Bool) -> Bool {
        let start = index
        while let byte = current, (0x30...0x39).contains(byte) { index += 1 }
        let count = index - start
        guard count > 0 else { return false }
        return allowLeadingZero || bytes[start] != 0x30 || count == 1
    }
}
