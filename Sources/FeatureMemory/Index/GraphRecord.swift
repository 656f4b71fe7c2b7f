/// The on-disk layout of a node's links (table `graph`, layout 1).
///
/// ```
/// offset  size  field
///      0     1  layout version (1)
///      1     1  level: the node is in layers 0...level
///      2     2  reserved, zero
///      4     4  CRC-32C of the record with this field zeroed
///      8     …  for each layer 0...level: out count u16, zero u16, in count u32,
///               then the out-links and the in-links, u32 node ids, little-endian
/// ```
/// Out-links are the node's neighbour list, which searches follow. In-links name the nodes whose
/// lists hold this node: a delete repairs exactly those lists instead of leaving dangling links.
enum GraphRecord {
    /// The layout this code writes and reads.
    static let layoutVersion: UInt8 = 1
    /// Bytes before the first layer.
    static let headerSize = 8
    /// Bytes before each layer's links: out count u16, zero u16, in count u32.
    static let layerHeaderSize = 8
    /// The highest level a node may have (levels are drawn with probability 1/M per step).
    static let maximumLevel = 31

    /// A node's links, decoded for editing.
    struct Node: Equatable {
        /// Out-links per layer, index 0 the bottom layer.
        var out: [[UInt32]]
        /// In-links per layer.
        var `in`: [[UInt32]]

        /// The node's top layer.
        var level: Int { out.count - 1 }

        /// A node with no links in layers 0...level.
        init(level: Int) {
            out = Array(repeating: [], count: level + 1)
            self.in = Array(repeating: [], count: level + 1)
        }

        init(out: [[UInt32]], in inLinks: [[UInt32]]) {
            self.out = out
            self.in = inLinks
        }
    }

    /// The record bytes of `node`.
    static func encode(_ node: Node) -> [UInt8] {
        var size = headerSize
        for layer in 0...node.level { size += Self.layerHeaderSize + 4 * (node.out[layer].count + node.in[layer].count) }
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { out in
            out[0] = layoutVersion
            out[1] = UInt8(node.level)
            var offset = headerSize
            for layer in 0...node.level {
                out.storeLittleEndian(UInt16(node.out[layer].count), at: offset)
                out.storeLittleEndian(UInt16(0), at: offset + 2)
                // in-links are not bounded by M (a popular node collects many): 32 bits
                out.storeLittleEndian(UInt32(node.in[layer].count), at: offset + 4)
                offset += Self.layerHeaderSize
                for id in node.out[layer] {
                    out.storeLittleEndian(id, at: offset)
                    offset += 4
                }
                for id in node.in[layer] {
                    out.storeLittleEndian(id, at: offset)
                    offset += 4
                }
            }
            out.storeLittleEndian(Checksum.crc32c(UnsafeRawBufferPointer(out)), at: 4)
        }
        return bytes
    }

    /// Whether the record's checksum and shape are right.
    static func isIntact(_ record: UnsafeRawBufferPointer) -> Bool {
        guard record.count >= headerSize + 4, record[0] == layoutVersion else { return false }
        let stored: UInt32 = record.littleEndian(at: 4)
        let zero: UInt32 = 0
        var crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: record[0..<4]))
        crc = withUnsafeBytes(of: zero) { Checksum.crc32c($0, seed: crc) }
        crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: record[8...]), seed: crc)
        guard crc == stored else { return false }
        // the layers must fill the record exactly
        var offset = headerSize
        for _ in 0...Int(record[1]) {
            guard offset + layerHeaderSize <= record.count else { return false }
            let out = Int(record.littleEndian(at: offset, as: UInt16.self))
            let inn = Int(record.littleEndian(at: offset + 4, as: UInt32.self))
            offset += layerHeaderSize + 4 * (out + inn)
        }
        return offset == record.count
    }

    /// The level stored in an intact record.
    @inline(__always)
    static func level(of record: UnsafeRawBufferPointer) -> Int { Int(record[1]) }

    /// The out-links of `layer` in an intact record, as a byte range of little-endian u32;
    /// empty when the node is not in that layer.
    @inline(__always)
    static func outLinks(of record: UnsafeRawBufferPointer, layer: Int) -> UnsafeRawBufferPointer {
        guard layer <= Int(record[1]) else { return UnsafeRawBufferPointer(rebasing: record[0..<0]) }
        var offset = headerSize
        for _ in 0..<layer {
            let out = Int(record.littleEndian(at: offset, as: UInt16.self))
            let inn = Int(record.littleEndian(at: offset + 4, as: UInt32.self))
            offset += layerHeaderSize + 4 * (out + inn)
        }
        let count = Int(record.littleEndian(at: offset, as: UInt16.self))
        let start = offset + layerHeaderSize
        return UnsafeRawBufferPointer(rebasing: record[start..<(start + 4 * count)])
    }

    /// Every layer of an intact record, decoded.
    static func decode(_ record: UnsafeRawBufferPointer) -> Node {
        let level = Int(record[1])
        var node = Node(level: level)
        var offset = headerSize
        for layer in 0...level {
            let out = Int(record.littleEndian(at: offset, as: UInt16.self))
            let inn = Int(record.littleEndian(at: offset + 4, as: UInt32.self))
            offset += layerHeaderSize
            node.out[layer] = (0..<out).map { record.littleEndian(at: offset + 4 * $0) }
            offset += 4 * out
            node.in[layer] = (0..<inn).map { record.littleEndian(at: offset + 4 * $0) }
            offset += 4 * inn
        }
        return node
    }
}
