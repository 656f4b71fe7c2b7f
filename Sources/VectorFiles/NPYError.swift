/// Why bytes are not a `.npy` array that `NPYHeader` reads. Callers word it in their own errors
/// (`VectorFileError` with the file's path, FeatureExtraction's `AudioError`).
public enum NPYError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes do not start with the `.npy` magic string.
    case notNPY
    /// The bytes end inside the header: it needs `expectedBytes`, there are `availableBytes`.
    case truncatedHeader(expectedBytes: Int, availableBytes: Int)
    /// The header's dictionary cannot be parsed; the reason says where.
    case malformedHeader(String)
    /// A valid header of an array this parser does not read (format version, element type, order).
    case unsupported(String)
    /// The shape needs more data than the bytes hold: `neededBytes` of elements `descr` (nil when
    /// the count overflows an `Int`), with `availableBytes` after the header.
    case truncatedData(shape: [Int], descr: String, neededBytes: Int?, availableBytes: Int)

    /// One sentence saying what is wrong.
    public var description: String {
        switch self {
        case .notNPY: "not a .npy file (bad magic)"
        case let .truncatedHeader(expected, available): "truncated header: \(available) of \(expected) bytes"
        case let .malformedHeader(reason): "malformed header: \(reason)"
        case let .unsupported(reason): reason
        case let .truncatedData(shape, descr, needed, available):
            "shape \(Self.pythonTuple(shape)) of \(descr) needs \(needed.map(String.init) ?? "more than 2^63") bytes of data; the file holds \(available) (truncated, or a bad header?)"
        }
    }

    /// A shape as the header writes it: `(3, 4)`, `(12,)`.
    static func pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
