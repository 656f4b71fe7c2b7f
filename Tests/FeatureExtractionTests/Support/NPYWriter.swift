import Foundation

/// Writes `.npy` bytes as NumPy does: version 1.0, header padded to a 64-byte boundary.
enum NPYWriter {
    static func bytes(descr: String = "<f4", fortran: Bool = false, shape: [Int], values: [Double], version: UInt8 = 1) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        out += version == 1 ? le16(UInt16(header.utf8.count)) : le32(UInt32(header.utf8.count))
        out += Array(header.utf8)
        for v in values {
            switch descr {
            case "<f2": out += le16(Float16(Float(v)).bitPattern)
            case "<f8": out += le64(v.bitPattern)
            case "<i4": out += le32(UInt32(bitPattern: Int32(v)))
            default: out += le32(Float(v).bitPattern)
            }
        }
        return Data(out)
    }
}
