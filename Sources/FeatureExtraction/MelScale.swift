import Foundation

/// The HTK mel scale, `2595·log10(1 + f/700)`.
public enum MelScale {
    /// Mels for a frequency in Hz.
    public static func mel(fromHertz hertz: Double) -> Double { 2595 * log10(1 + hertz / 700) }
    /// Hz for a value in mels.
    public static func hertz(fromMel mel: Double) -> Double { 700 * (pow(10, mel / 2595) - 1) }
}
