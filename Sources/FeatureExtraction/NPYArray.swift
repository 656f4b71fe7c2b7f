import Foundation

/// A float array read from a NumPy `.npy` file (format 1.0–3.0), converted to `Float`.
///
/// Little-endian (or native `=`/byte-free `|`) float16/32/64 in C order only: that
/// is what `np.save` writes on every current platform, and the rest is rejected
/// with a message saying what was found.
struct NPYArray {
    /// The array's shape, outermost first.
    var shape: [Int]
    /// All elements in C (row-major) order.
    var values: [Float]

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    private enum Element: Int {
        case float16 = 2, float32 = 4, float64 = 8
    }

    /// Parses `.npy` bytes.
    static func parse(_ data: Data) throws(AudioError) -> NPYArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 6, Array(bytes[0..<6]) == magic else {
            throw bytes.count < 6 && magic.starts(with: bytes) && !bytes.isEmpty ? .truncatedNPY(expectedBytes: 10, availableBytes: bytes.count) : .notNPY
        }
        guard bytes.count >= 10 else { throw .truncatedNPY(expectedBytes: 10, availableBytes: bytes.count) }
        let headerLength: Int, headerStart: Int
        switch bytes[6] {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .truncatedNPY(expectedBytes: 12, availableBytes: bytes.count) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw .unsupportedNPY("format version \(bytes[6]).\(bytes[7])")
        }
        let dataStart = headerStart + headerLength
        guard bytes.count >= dataStart else { throw .truncatedNPY(expectedBytes: dataStart, availableBytes: bytes.count) }
        // Version 1–2 headers are latin-1, version 3 UTF-8; the keys and values we read are ASCII either way.
        let header = String(decoding: bytes[headerStart..<dataStart], as: UTF8.self)
        var parser = HeaderParser(header)
        let dictionary = try parser.dictionary()

        guard case .string(let descr)? = dictionary["descr"] else { throw .malformedNPY("no 'descr' string") }
        guard case .bool(let fortran)? = dictionary["fortran_order"] else { throw .malformedNPY("no 'fortran_order' flag") }
        guard case .tuple(let shape)? = dictionary["shape"] else { throw .malformedNPY("no 'shape' tuple") }
        let element: Element
        switch descr {
        case "<f2", "=f2", "|f2": element = .float16
        case "<f4", "=f4", "|f4": element = .float32
        case "<f8", "=f8", "|f8": element = .float64
        default: throw .unsupportedNPY("dtype '\(descr)'; little-endian float16, float32 or float64 only")
        }
        guard !fortran else { throw .unsupportedNPY("Fortran (column-major) order; save a C-ordered array") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .malformedNPY("negative size in shape \(shape)") }

        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .malformedNPY("shape \(shape) is too large") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: element.rawValue)
        guard !overflow else { throw .malformedNPY("shape \(shape) is too large") }
        let available = bytes.count - dataStart
        guard available >= byteCount else { throw .truncatedNPY(expectedBytes: byteCount, availableBytes: available) }

        let values = bytes.withUnsafeBytes { raw -> [Float] in
            let body = UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + byteCount)])
            return (0..<count).map { i in
                switch element {
                case .float16:
                    return Float(halfBits: UInt16(littleEndian: body.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                case .float32:
                    return Float(bitPattern: UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .float64:
                    return Float(Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
        }
        return NPYArray(shape: shape, values: values)
    }

    /// A value in the header's Python-literal dictionary.
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// Reads the header dictionary: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    ///
    /// A real tokenizer rather than substring search, so a key inside a string or an odd spacing cannot mislead it.
    struct HeaderParser {
        private let scalars: [Unicode.Scalar]
        private var index = 0

        init(_ text: String) { scalars = Array(text.unicodeScalars) }

        mutating func dictionary() throws(AudioError) -> [String: Value] {
            try expect("{")
            var result: [String: Value] = [:]
            while true {
                skipSpace()
                if peek() == "}" { index += 1; return result }
                let key = try string()
                try expect(":")
                skipSpace()
                result[key] = try value()
                skipSpace()
                if peek() == "," { index += 1; continue }
                try expect("}")
                return result
            }
        }

        private mutating func value() throws(AudioError) -> Value {
            switch peek() {
            case "'", "\"": return .string(try string())
            case "(": return .tuple(try tuple())
            default:
                let word = identifier()
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                default: throw .malformedNPY("unexpected value '\(word)'")
                }
            }
        }

        private mutating func string() throws(AudioError) -> String {
            skipSpace()
            guard let quote = peek(), quote == "'" || quote == "\"" else { throw .malformedNPY("expected a quoted key") }
            index += 1
            var text = String.UnicodeScalarView()
            while let c = peek(), c != quote { text.append(c); index += 1 }
            guard peek() == quote else { throw .malformedNPY("unterminated string") }
            index += 1
            return String(text)
        }

        private mutating func tuple() throws(AudioError) -> [Int] {
            try expect("(")
            var sizes: [Int] = []
            while true {
                skipSpace()
                if peek() == ")" { index += 1; return sizes }
                // Python writes long integers as e.g. 3L in old pickles of shape; accept a trailing L.
                let word = identifier()
                guard let size = Int(word.hasSuffix("L") ? String(word.dropLast()) : word) else {
                    throw .malformedNPY("shape entry '\(word)' is not an integer")
                }
                sizes.append(size)
                skipSpace()
                if peek() == "," { index += 1; continue }
                try expect(")")
                return sizes
            }
        }

        private mutating func identifier() -> String {
            var text = String.UnicodeScalarView()
            while let c = peek(), c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" {
                text.append(c)
                index += 1
            }
            return String(text)
        }

        private mutating func expect(_ c: Unicode.Scalar) throws(AudioError) {
            skipSpace()
            guard peek() == c else { throw .malformedNPY("expected '\(c)'") }
            index += 1
        }

        private mutating func skipSpace() {
            while let c = peek(), c == " " || c == "\n" || c == "\t" || c == "\r" { index += 1 }
        }

        private func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    }
}

extension Float {
    /// Converts IEEE binary16 bits without relying on `Float16`, which is unavailable on macOS/x86_64.
    init(halfBits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Subnormal (or zero): value is mantissa · 2⁻²⁴.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign != 0 ? -magnitude : magnitude
        case 0x1F:
            self = Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
        }
    }
}
