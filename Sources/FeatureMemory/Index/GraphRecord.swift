/// The on-disk layout of a node's links (table `graph`, layouts 1 and 2).
///
/// ```
/// offset  size  field
///      0     1  layout version (1 or 2)
///      1     1  level: the node is in layers 0...level
///      2     2  reserved, zero
///      4     4  CRC-32C of the record with this field zeroed
///      8     …  for each layer 0...level: out count u16, id width u8, zero u8, in count u32,
///               then the out-links and the in-links, node ids of `id width` bytes, little-endian
/// ```
/// Layout 1 (stores of format 3 and 4) writes the width byte as zero and every id in 4 bytes;
/// layout 2 (format 5) gives each layer the fewest bytes (2, 3 or 4) its largest id needs, which
/// halves the table of a store under 65,536 nodes. Both are read everywhere.
/// Out-links are the node's neighbour list, which searches follow. In-links name the nodes whose
/// lists hold this node: a delete repairs exactly those lists instead of leaving dangling links.
enum GraphRecord {
    /// The layout of records whose ids are all 4 bytes wide.
    static let wideLayout: UInt8 = 1
    /// The layout of records whose layers each say how wide their ids are.
    static let narrowLayout: UInt8 = 2
    /// The layout a store of `format` writes its records in: a store of format 3 or 4 keeps
    /// 4-byte ids, so that the versions that made it can still read it.
    static func layout(forStoreFormat format: UInt32) -> UInt8 { format >= 5 ? narrowLayout : wideLayout }
    /// Bytes before the first layer.
    static let headerSize = 8
    /// Bytes before each layer's links: out count u16, id width u8, zero u8, in count u32.
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

    /// The record bytes of `node` in `layout` (`narrowLayout` for stores of format 5 or later).
    static func encode(_ node: Node, layout: UInt8 = narrowLayout) -> [UInt8] {
        let widths = (0...node.level).map { layer in
            layout == wideLayout ? 4 : idWidth(forLargest: max(node.out[layer].max() ?? 0, node.in[layer].max() ?? 0))
        }
        var size = headerSize
        for layer in 0...node.level { size += Self.layerHeaderSize + widths[layer] * (node.out[layer].count + node.in[layer].count) }
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { out in
            out[0] = layout
            out[1] = UInt8(node.level)
            var offset = headerSize
            for layer in 0...node.level {
                let width = widths[layer]
                out.storeLittleEndian(UInt16(node.out[layer].count), at: offset)
                out[offset + 2] = layout == wideLayout ? 0 : UInt8(width)
                // in-links are not bounded by M (a popular node collects many): 32 bits
                out.storeLittleEndian(UInt32(node.in[layer].count), at: offset + 4)
                offset += Self.layerHeaderSize
                for id in node.out[layer] {
                    storeID(id, width: width, at: out.baseAddress! + offset)
                    offset += width
                }
                for id in node.in[layer] {
                    storeID(id, width: width, at: out.baseAddress! + offset)
                    offset += width
                }
            }
            out.storeLittleEndian(Checksum.crc32c(UnsafeRawBufferPointer(out)), at: 4)
        }
        return bytes
    }

    /// The fewest bytes (2, 3 or 4) that hold `id`.
    static func idWidth(forLargest id: UInt32) -> Int { id < 1 << 16 ? 2 : id < 1 << 24 ? 3 : 4 }

    /// Writes `id` in `width` bytes at `address` (the inverse of `loadID`).
    @inline(__always)
    private static func storeID(_ id: UInt32, width: Int, at address: UnsafeMutableRawPointer) {
        switch width {
        case 2: address.storeBytes(of: UInt16(truncatingIfNeeded: id).littleEndian, as: UInt16.self)
        case 3:
            address.storeBytes(of: UInt16(truncatingIfNeeded: id).littleEndian, as: UInt16.self)
            address.storeBytes(of: UInt8(truncatingIfNeeded: id >> 16), toByteOffset: 2, as: UInt8.self)
        default: address.storeBytes(of: id.littleEndian, as: UInt32.self)
        }
    }

    /// The id of `width` bytes at `address`.
    @inline(__always)
    static func loadID(_ address: UnsafeRawPointer, width: Int) -> UInt32 {
        switch width {
        case 2: return UInt32(UInt16(littleEndian: address.loadUnaligned(as: UInt16.self)))
        case 3: return UInt32(UInt16(littleEndian: address.loadUnaligned(as: UInt16.self))) | UInt32(address.load(fromByteOffset: 2, as: UInt8.self)) << 16
        default: return UInt32(littleEndian: address.loadUnaligned(as: UInt32.self))
        }
    }

    /// The id width of the layer whose header starts at `block` (in an intact record).
    @inline(__always)
    static func idWidth(ofLayerAt block: UnsafeRawPointer) -> Int {
        let width = Int(block.load(fromByteOffset: 2, as: UInt8.self))
        return width == 0 ? 4 : width
    }

    /// Whether the record's checksum and shape are right.
    static func isIntact(_ record: UnsafeRawBufferPointer) -> Bool {
        guard record.count >= headerSize + 4, record[0] == wideLayout || record[0] == narrowLayout else { return false }
        let stored: UInt32 = record.littleEndian(at: 4)
        let zero: UInt32 = 0
        var crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: record[0..<4]))
        crc = withUnsafeBytes(of: zero) { Checksum.crc32c($0, seed: crc) }
        crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: record[8...]), seed: crc)
        guard crc == stored, record[2] == 0, record[3] == 0 else { return false }
        // the layers must fill the record exactly, each with a width its layout allows
        var offset = headerSize
        for _ in 0...Int(record[1]) {
            guard offset + layerHeaderSize <= record.count, record[offset + 3] == 0 else { return false }
            let width = record[offset + 2]
            guard record[0] == wideLayout ? width == 0 : (2...4).contains(width) else { return false }
            let out = Int(record.littleEndian(at: offset, as: UInt16.self))
            let inn = Int(record.littleEndian(at: offset + 4, as: UInt32.self))
            offset += layerHeaderSize + idWidth(ofLayerAt: record.baseAddress! + offset) * (out + inn)
        }
        return offset == record.count
    }

    /// The level stored in an intact record.
    @inline(__always)
    static func level(of record: UnsafeRawBufferPointer) -> Int { Int(record[1]) }

    /// Appends the out-links of the layer whose header starts at `block` (in an intact record).
    @inline(__always)
    static func appendOutLinks(ofLayerAt block: UnsafeRawPointer, to links: inout ContiguousArray<UInt32>) {
        let count = Int(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let width = idWidth(ofLayerAt: block)
        let first = block + layerHeaderSize
        for i in 0..<count { links.append(loadID(first + width * i, width: width)) }
    }

    /// Appends the out-links of `layer` in an intact record; none when the node is not in that layer.
    @inline(__always)
    static func appendOutLinks(of record: UnsafeRawBufferPointer, layer: Int, to links: inout ContiguousArray<UInt32>) {
        guard layer <= Int(record[1]), let base = record.baseAddress else { return }
        var offset = headerSize
        for _ in 0..<layer {
            let out = Int(record.littleEndian(at: offset, as: UInt16.self))
            let inn = Int(record.littleEndian(at: offset + 4, as: UInt32.self))
            offset += layerHeaderSize + idWidth(ofLayerAt: base + offset) * (out + inn)
        }
        appendOutLinks(ofLayerAt: base + offset, to: &links)
    }

    /// Every layer of an intact record, decoded.
    static func decode(_ record: UnsafeRawBufferPointer) -> Node {
        let level = Int(record[1])
        var node = Node(level: level)
        guard let base = record.baseAddress else { return node }
        var offset = headerSize
        for layer in 0...level {
            let out = Int(record.littleEndian(at: offset, as: UInt16.self))
            let inn = Int(record.littleEndian(at: offset + 4, as: UInt32.self))
            let width = idWidth(ofLayerAt: base + offset)
            offset += layerHeaderSize
            node.out[layer] = (0..<out).map { loadID(base + offset + width * $0, width: width) }
            offset += width * out
            node.in[layer] = (0..<inn).map { loadID(base + offset + width * $0, width: width) }
            offset += width * inn
        }
        return node
    }
}
