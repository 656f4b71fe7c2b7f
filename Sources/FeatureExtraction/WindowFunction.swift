import Foundation

/// A taper applied to each frame before the FFT to limit spectral leakage.
public enum WindowFunction: String, Sendable, Codable, CaseIterable {
    /// Raised cosine reaching zero at the edges; −31 dB first side lobe.
    case hann
    /// Raised cosine on a 0.08 pedestal; −43 dB first side lobe, the HTK/Kaldi choice.
    case hamming
    /// No taper.
    case rectangular

    /// `count` coefficients of the symmetric window (first and last equal), as HTK and Kaldi use for frames.
    public func coefficients(count: Int) -> [Float] {
        guard count > 1 else { return [Float](repeating: 1, count: max(0, count)) }
        let denominator = Double(count - 1)
        return (0..<count).map { n in
            let phase = 2 * Double.pi * Double(n) / denominator
            switch self {
            case .hann: return Float(0.5 - 0.5 * cos(phase))
            case .hamming: return Float(0.54 - 0.46 * cos(phase))
            case .rectangular: return 1
            }
        }
    }
}
