import Foundation

/// The header of a NumPy `.npy` file (format versions 1–3): element type and shape.
struct NPYHeader {
    /// Element types read as float32.
    enum Element {
        case float16, float32, float64

        var size: Int {
            switch self {
            case .float16: 2
            case .float32: 4
            case .float64: 8
            }
        }

        @inline(__always)
        func load(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Float {
            switch self {
            case .float16:
                #if arch(x86_64) || arch(arm64)
                return Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
                #else
                return .nan
                #endif
            case .float32:
                return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            case .float64:
                return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
            }
        }
    }

    var element: Element
    var rows: Int
    var columns: Int
    var dataOffset: Int

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    static func parse(_ data: Data, path: String) throws(VectorFileError) -> NPYHeader {
        guard data.count >= 10, Array(data.prefix(6)) == magic else {
            throw .malformed(path: path, row: nil, reason: "not a .npy file (bad magic)")
        }
        let major = data[data.startIndex + 6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw .malformed(path: path, row: nil, reason: "truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw .unsupported(path: path, reason: ".npy format version \(major)")
        }
        guard data.count >= headerStart + headerLength,
              let text = String(data: data[(data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)], encoding: .utf8)
        else { throw .malformed(path: path, row: nil, reason: "truncated or non-text header") }

        guard let descr = quotedValue(of: "descr", in: text) else {
            throw .malformed(path: path, row: nil, reason: "header has no 'descr'")
        }
        let element: Element
        switch descr {
        case "<f4", "=f4", "f4", "float32": element = .float32
        case "<f8", "=f8", "f8", "float64": element = .float64
        case "<f2", "=f2", "f2", "float16": element = .float16
        case let other:
            throw .unsupported(path: path, reason: "element type \(other); float16/32/64 little-endian only")
        }
        if let fortran = value(of: "fortran_order", in: text), fortran.hasPrefix("True") {
            throw .unsupported(path: path, reason: "Fortran (column-major) order; save with C order")
        }
        guard let shapeText = value(of: "shape", in: text), shapeText.hasPrefix("("),
              let close = shapeText.firstIndex(of: ")")
        else { throw .malformed(path: path, row: nil, reason: "header has no 'shape'") }
        let dims = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw .malformed(path: path, row: nil, reason: "shape \(shapeText[...close]) is not a tuple of sizes")
        }
        let rows: Int, columns: Int
        switch shape.count {
        case 1: (rows, columns) = (1, shape[0])
        case 2: (rows, columns) = (shape[0], shape[1])
        default: throw .unsupported(path: path, reason: "\(shape.count)-dimensional array; need rows × dimension")
        }
        guard columns > 0 || rows == 0 else { throw .malformed(path: path, row: nil, reason: "dimension 0") }
        // the shape is the file's word: its product may overflow, and it must fit in the file
        // before anything is sized by it
        let dataOffset = headerStart + headerLength
        let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
        let (dataBytes, bytesOverflow) = elements.multipliedReportingOverflow(by: element.size)
        let available = data.count - dataOffset
        guard !overflow, !bytesOverflow, dataBytes <= available else {
            throw .malformed(path: path, row: nil, reason: "shape \(shapeText[...close]) of \(descr) needs \(overflow || bytesOverflow ? "more than 2^63" : String(dataBytes)) bytes of data; the file holds \(available) (truncated, or a bad header?)")
        }
        return NPYHeader(element: element, rows: rows, columns: columns, dataOffset: dataOffset)
    }

    /// The quoted string after `'key':`.
    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let rest = value(of: key, in: header), let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    /// The text after `'key':` to the end of the header; callers take the value from its front.
    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[range.upperBound...].drop(while: { $0 == " " })
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop(while: { $0 == " " })
        return String(rest)
    }
}
