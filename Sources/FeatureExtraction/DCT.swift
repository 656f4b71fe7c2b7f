import Foundation

/// The orthonormal DCT-II, truncated to its first coefficients: turns log-mel energies into cepstra.
public struct DCT: Sendable {
    /// Input length (mel filters).
    public let inputCount: Int
    /// Coefficients kept.
    public let outputCount: Int
    /// Row-major `outputCount × inputCount` basis, orthonormal scaling folded in.
    let matrix: [Float]

    /// A DCT from `inputCount` values to the first `outputCount` coefficients.
    public init(inputCount: Int, outputCount: Int) throws(AudioError) {
        guard inputCount > 0, outputCount > 0, outputCount <= inputCount else {
            throw .invalidConfiguration("DCT needs 1 ≤ coefficients (\(outputCount)) ≤ inputs (\(inputCount))")
        }
        self.inputCount = inputCount
        self.outputCount = outputCount
        let n = Double(inputCount)
        var matrix = [Float](repeating: 0, count: outputCount * inputCount)
        for k in 0..<outputCount {
            let scale = k == 0 ? (1 / n).squareRoot() : (2 / n).squareRoot()
            for m in 0..<inputCount {
                matrix[k * inputCount + m] = Float(scale * cos(Double.pi * Double(k) * (Double(m) + 0.5) / n))
            }
        }
        self.matrix = matrix
    }

    /// The first `outputCount` DCT-II coefficients of `input`.
    public func transform(_ input: [Float]) throws(AudioError) -> [Float] {
        guard input.count == inputCount else { throw .dimensionMismatch(expected: inputCount, actual: input.count) }
        var out = [Float](repeating: 0, count: outputCount)
        input.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { o in transform(x, into: o) } }
        return out
    }

    /// Coefficients of `input` into `output`.
    func transform(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        matrix.withUnsafeBufferPointer { basis in
            for k in 0..<outputCount {
                var sum: Float = 0
                let row = k * inputCount
                for m in 0..<inputCount { sum += basis[row + m] * input[m] }
                output[k] = sum
            }
        }
    }
}
