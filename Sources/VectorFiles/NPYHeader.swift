import Foundation

/// The header of a NumPy `.npy` file (format versions 1.0–3.0): element type, shape and where the
/// data starts, checked against the bytes it came with. The package's one `.npy` parser: vector
/// files read rows × dimension through it, FeatureExtraction frames × dimension.
///
/// Little-endian (or native `=`, or byte-order-free `|`) float16/32/64 in C order only: what
/// `np.save` writes on every current platform; anything else is refused saying what was found.
public struct NPYHeader: Sendable, Equatable {
    /// The array's shape, outermost first.
    public let shape: [Int]
    /// Elements in the array, the product of `shape`; all of them lie within the parsed bytes.
    public let elementCount: Int
    /// How each element is stored.
    let element: Element
    /// Where the first element starts, from the start of the bytes.
    let dataOffset: Int

    /// Element types, all read as float32.
    enum Element: Sendable, Equatable {
        case float16, float32, float64

        /// Bytes per element.
        var size: Int {
            switch self {
            case .float16: 2
            case .float32: 4
            case .float64: 8
            }
        }

        /// The element at byte `offset` of `bytes`, as a Float.
        @inline(__always)
        func load(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Float {
            switch self {
            case .float16:
                Float(halfBits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            case .float32:
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            case .float64:
                Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
            }
        }
    }

    /// The magic string every `.npy` file starts with, "\x93NUMPY".
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Parses the header of the `.npy` bytes `data` and checks that the data its shape needs is there.
    public static func parse(_ data: Data) throws(NPYError) -> NPYHeader {
        let count = data.count
        // the fixed fields: magic, version, header length (2 bytes in 1.0, 4 in 2.0 and 3.0)
        let fixed = [UInt8](data.prefix(12))
        guard count >= 6, Array(fixed[0..<6]) == magic else {
            throw !fixed.isEmpty && magic.starts(with: fixed) ? .truncatedHeader(expectedBytes: 10, availableBytes: count) : .notNPY
        }
        guard count >= 10 else { throw .truncatedHeader(expectedBytes: 10, availableBytes: count) }
        let headerLength: Int, headerStart: Int
        switch fixed[6] {
        case 1:
            headerLength = Int(fixed[8]) | Int(fixed[9]) << 8
            headerStart = 10
        case 2, 3:
            guard count >= 12 else { throw .truncatedHeader(expectedBytes: 12, availableBytes: count) }
            headerLength = Int(fixed[8]) | Int(fixed[9]) << 8 | Int(fixed[10]) << 16 | Int(fixed[11]) << 24
            headerStart = 12
        default:
            throw .unsupported("format version \(fixed[6]).\(fixed[7])")
        }
        let dataOffset = headerStart + headerLength
        guard count >= dataOffset else { throw .truncatedHeader(expectedBytes: dataOffset, availableBytes: count) }
        // version 1 and 2 headers are latin-1, version 3 UTF-8; the keys and values read are ASCII either way
        let text = String(decoding: data[(data.startIndex + headerStart)..<(data.startIndex + dataOffset)], as: UTF8.self)
        var parser = HeaderParser(text)
        let dictionary = try parser.dictionary()

        guard case .string(let descr)? = dictionary["descr"] else { throw .malformedHeader("no 'descr' string") }
        guard case .bool(let fortran)? = dictionary["fortran_order"] else { throw .malformedHeader("no 'fortran_order' flag") }
        guard case .tuple(let shape)? = dictionary["shape"] else { throw .malformedHeader("no 'shape' tuple") }
        let element: Element
        switch descr {
        case "<f2", "=f2", "|f2", "f2", "float16": element = .float16
        case "<f4", "=f4", "|f4", "f4", "float32": element = .float32
        case "<f8", "=f8", "|f8", "f8", "float64": element = .float64
        default: throw .unsupported("element type \(descr); little-endian float16, float32 or float64 only")
        }
        guard !fortran else { throw .unsupported("Fortran (column-major) order; save a C-ordered array") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .malformedHeader("negative size in shape \(NPYError.pythonTuple(shape))") }

        // the shape is the file's word: its product may overflow, and it must fit in the bytes
        // before anything is sized by it
        let available = count - dataOffset
        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .truncatedData(shape: shape, descr: descr, neededBytes: nil, availableBytes: available) }
            elements = product
        }
        let (needed, overflow) = elements.multipliedReportingOverflow(by: element.size)
        guard !overflow, needed <= available else {
            throw .truncatedData(shape: shape, descr: descr, neededBytes: overflow ? nil : needed, availableBytes: available)
        }
        return NPYHeader(shape: shape, elementCount: elements, element: element, dataOffset: dataOffset)
    }

    /// Every element of the array in `data` (the bytes this header was parsed from), in C order.
    public func values(in data: Data) -> [Float] {
        data.withUnsafeBytes { values(in: $0, from: 0, count: elementCount) }
    }

    /// `count` elements from element `first` (C order) of the array in `bytes`; the caller keeps
    /// `first + count` within `elementCount`.
    func values(in bytes: UnsafeRawBufferPointer, from first: Int, count: Int) -> [Float] {
        let start = dataOffset + first * element.size
        return (0..<count).map { element.load(bytes, at: start + $0 * element.size) }
    }
}
