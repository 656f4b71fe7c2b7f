import Foundation
import VectorFiles

/// A float array read from a NumPy `.npy` file, converted to `Float`: VectorFiles' `NPYHeader`
/// parses and checks it (the package's one `.npy` parser); this says what went wrong as an `AudioError`.
struct NPYArray {
    /// The array's shape, outermost first.
    var shape: [Int]
    /// All elements in C (row-major) order.
    var values: [Float]

    /// Parses `.npy` bytes.
    static func parse(_ data: Data) throws(AudioError) -> NPYArray {
        do throws(NPYError) {
            let header = try NPYHeader.parse(data)
            return NPYArray(shape: header.shape, values: header.values(in: data))
        } catch {
            throw AudioError(error)
        }
    }
}

extension AudioError {
    /// The `AudioError` of a `.npy` parse failure.
    init(_ error: NPYError) {
        switch error {
        case .notNPY: self = .notNPY
        case let .truncatedHeader(expected, available): self = .truncatedNPY(expectedBytes: expected, availableBytes: available)
        case let .malformedHeader(reason): self = .malformedNPY(reason)
        case let .unsupported(reason): self = .unsupportedNPY(reason)
        case let .truncatedData(_, _, needed?, available): self = .truncatedNPY(expectedBytes: needed, availableBytes: available)
        case let .truncatedData(shape, _, nil, _): self = .malformedNPY("shape \(shape) is too large")
        }
    }
}
