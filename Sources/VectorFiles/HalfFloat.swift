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
