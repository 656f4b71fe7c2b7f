import Foundation

/// A radix-2 FFT of real input, by a half-size complex FFT and one untangling pass.
///
/// All tables (twiddles, bit reversal) are computed once; transforms take caller
/// buffers so a loop over frames allocates nothing.
public struct RealFFT: Sendable {
    /// Input length, a power of two from 2 to 2²⁴.
    public let size: Int
    /// Output bins: `size / 2 + 1`, DC through Nyquist.
    public var binCount: Int { size / 2 + 1 }

    /// Complex FFT length.
    let half: Int
    /// `cos` and `sin` of `2πj/half`, `j < half/2`: the complex FFT's twiddles.
    let cosines: [Float]
    let sines: [Float]
    /// `cos` and `sin` of `2πk/size`, `k ≤ half`: the untangling twiddles.
    let postCosines: [Float]
    let postSines: [Float]
    /// Bit-reversed index of each position in the complex FFT.
    let reversed: [Int32]

    /// An FFT of `size` real samples; `size` must be a power of two from 2 to 2²⁴.
    public init(size: Int) throws(AudioError) {
        guard size >= 2, size & (size - 1) == 0 else {
            throw .invalidConfiguration("FFT size \(size) is not a power of two ≥ 2")
        }
        // Far beyond any audio frame; the bound keeps a mistyped size from allocating gigabytes of tables.
        guard size <= 1 << 24 else { throw .invalidConfiguration("FFT size \(size) exceeds 2²⁴") }
        self.size = size
        half = size / 2
        // Twiddles in Double, then rounded: accumulated Float error would otherwise grow with size.
        cosines = (0..<max(1, half / 2)).map { Float(cos(2 * Double.pi * Double($0) / Double(size / 2))) }
        sines = (0..<max(1, half / 2)).map { Float(sin(2 * Double.pi * Double($0) / Double(size / 2))) }
        postCosines = (0...half).map { Float(cos(2 * Double.pi * Double($0) / Double(size))) }
        postSines = (0...half).map { Float(sin(2 * Double.pi * Double($0) / Double(size))) }
        let bits = half.trailingZeroBitCount
        reversed = (0..<half).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return Int32(r)
        }
    }

    /// The spectrum of `input` (length `size`) as real and imaginary parts, `binCount` each.
    public func transform(_ input: [Float]) throws(AudioError) -> (real: [Float], imaginary: [Float]) {
        guard input.count == size else { throw .dimensionMismatch(expected: size, actual: input.count) }
        var real = [Float](repeating: 0, count: binCount)
        var imaginary = [Float](repeating: 0, count: binCount)
        input.withUnsafeBufferPointer { x in
            real.withUnsafeMutableBufferPointer { re in
                imaginary.withUnsafeMutableBufferPointer { im in transform(x, real: re, imaginary: im) }
            }
        }
        return (real, imaginary)
    }

    /// `|X[k]|²` for each bin of the spectrum of `input` (length `size`).
    public func powerSpectrum(_ input: [Float]) throws(AudioError) -> [Float] {
        guard input.count == size else { throw .dimensionMismatch(expected: size, actual: input.count) }
        var real = [Float](repeating: 0, count: binCount)
        var imaginary = [Float](repeating: 0, count: binCount)
        var power = [Float](repeating: 0, count: binCount)
        input.withUnsafeBufferPointer { x in
            real.withUnsafeMutableBufferPointer { re in
                imaginary.withUnsafeMutableBufferPointer { im in
                    power.withUnsafeMutableBufferPointer { p in powerSpectrum(x, into: p, real: re, imaginary: im) }
                }
            }
        }
        return power
    }

    /// Power spectrum into `power` using `real`/`imaginary` (each ≥ `binCount`) as scratch.
    func powerSpectrum(_ input: UnsafeBufferPointer<Float>, into power: UnsafeMutableBufferPointer<Float>,
                       real: UnsafeMutableBufferPointer<Float>, imaginary: UnsafeMutableBufferPointer<Float>) {
        transform(input, real: real, imaginary: imaginary)
        for k in 0...half { power[k] = real[k] * real[k] + imaginary[k] * imaginary[k] }
    }

    /// The spectrum of `input` into `real`/`imaginary`, which must hold `binCount` values.
    ///
    /// Even samples go in the real part and odd ones in the imaginary part of a
    /// half-size complex FFT; the untangling pass then separates the two spectra.
    func transform(_ input: UnsafeBufferPointer<Float>, real re: UnsafeMutableBufferPointer<Float>,
                   imaginary im: UnsafeMutableBufferPointer<Float>) {
        let h = half
        if h == 1 {
            re[0] = input[0]
            im[0] = input[1]
        } else {
            // Load in bit-reversed order and do the first two stages on the way: their
            // twiddles are 1 and −i, so they need no multiplications.
            reversed.withUnsafeBufferPointer { rev in
                var q = 0
                while q < h {
                    // Positions q…q+3 hold inputs i, i + h/2, i + h/4, i + 3h/4 for i = rev[q].
                    let i0 = Int(rev[q]), i1 = Int(rev[q + 1])
                    let ar = input[2 * i0] + input[2 * i1], ai = input[2 * i0 + 1] + input[2 * i1 + 1]
                    let br = input[2 * i0] - input[2 * i1], bi = input[2 * i0 + 1] - input[2 * i1 + 1]
                    guard h >= 4 else {
                        re[q] = ar; im[q] = ai; re[q + 1] = br; im[q + 1] = bi
                        q += 2
                        continue
                    }
                    let i2 = Int(rev[q + 2]), i3 = Int(rev[q + 3])
                    let cr = input[2 * i2] + input[2 * i3], ci = input[2 * i2 + 1] + input[2 * i3 + 1]
                    let dr = input[2 * i2] - input[2 * i3], di = input[2 * i2 + 1] - input[2 * i3 + 1]
                    re[q] = ar + cr; im[q] = ai + ci
                    re[q + 2] = ar - cr; im[q + 2] = ai - ci
                    // (dr + i·di)·(−i) = di − i·dr
                    re[q + 1] = br + di; im[q + 1] = bi - dr
                    re[q + 3] = br - di; im[q + 3] = bi + dr
                    q += 4
                }
            }
        }
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                var m = min(h, 4)
                while m < h {
                    let stride = h / (2 * m)
                    var start = 0
                    while start < h {
                        var t = 0
                        for j in start..<(start + m) {
                            // w = e^{-2πi t/h}
                            let wr = cosines[t], wi = -sines[t]
                            let k = j + m
                            let xr = re[k] * wr - im[k] * wi
                            let xi = re[k] * wi + im[k] * wr
                            re[k] = re[j] - xr
                            im[k] = im[j] - xi
                            re[j] += xr
                            im[j] += xi
                            t += stride
                        }
                        start += 2 * m
                    }
                    m *= 2
                }
            }
        }
        // Untangle: X[k] = E[k] + e^{-2πik/N}·O[k], with E, O from Z[k] and conj(Z[h-k]).
        // Pairs (k, h-k) are done together so the update can happen in place.
        postCosines.withUnsafeBufferPointer { pc in
            postSines.withUnsafeBufferPointer { ps in
                let z0r = re[0], z0i = im[0]
                re[0] = z0r + z0i
                im[0] = 0
                re[h] = z0r - z0i
                im[h] = 0
                var k = 1
                while k <= h - k {
                    let a = re[k], b = im[k], c = re[h - k], d = im[h - k]
                    // k
                    let er = (a + c) * 0.5, ei = (b - d) * 0.5
                    let or = (b + d) * 0.5, oi = (c - a) * 0.5
                    let wr = pc[k], wi = -ps[k]
                    // h - k: roles of (a,b) and (c,d) swap.
                    let er2 = (c + a) * 0.5, ei2 = (d - b) * 0.5
                    let or2 = (d + b) * 0.5, oi2 = (a - c) * 0.5
                    let wr2 = pc[h - k], wi2 = -ps[h - k]
                    re[k] = er + wr * or - wi * oi
                    im[k] = ei + wr * oi + wi * or
                    re[h - k] = er2 + wr2 * or2 - wi2 * oi2
                    im[h - k] = ei2 + wr2 * oi2 + wi2 * or2
                    k += 1
                }
            }
        }
    }
}
