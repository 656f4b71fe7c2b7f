import Foundation
import Testing
@testable import FeatureMemory

/// Graph records: links per layer round trip, every damage is detected.
struct GraphRecordTests {
    typealias Node = GraphRecord.Node

    static let samples: [Node] = [
        Node(level: 0),
        Node(out: [[1, 2, 3]], in: [[4]]),
        Node(out: [[7, 8], [9], []], in: [[], [10, 11], [12]]),
        Node(out: [Array(0..<32), Array(100..<116)], in: [Array(200..<500), []]),
        Node(out: [[.max, 0]], in: [[.max - 1]]),
        // ids at each width's edges, one layer of each width
        Node(out: [[65_535, 0], [65_536], [16_777_215, 16_777_216]], in: [[1], [2], []]),
        Node(out: [[0x00AB_CDEF, 0x0001_0203]], in: [[0x0000_FFFF, 0x00FF_FFFF]]),
    ]

    static let layouts = [GraphRecord.wideLayout, GraphRecord.narrowLayout]

    func decode(_ bytes: [UInt8]) -> Node? {
        bytes.withUnsafeBytes { GraphRecord.isIntact($0) ? GraphRecord.decode($0) : nil }
    }

    @Test(arguments: samples, layouts)
    func linksRoundTrip(node: Node, layout: UInt8) {
        let bytes = GraphRecord.encode(node, layout: layout)
        #expect(bytes[0] == layout)
        #expect(Int(bytes[1]) == node.level)
        #expect(decode(bytes) == node)
        bytes.withUnsafeBytes { record in
            #expect(GraphRecord.level(of: record) == node.level)
            for layer in 0...(node.level + 1) {
                var links = ContiguousArray<UInt32>()
                GraphRecord.appendOutLinks(of: record, layer: layer, to: &links)
                #expect(Array(links) == (layer <= node.level ? node.out[layer] : []))
            }
            // the layer-0 block alone (what a snapshot records the address of) gives the same links
            var links = ContiguousArray<UInt32>()
            GraphRecord.appendOutLinks(ofLayerAt: record.baseAddress! + GraphRecord.headerSize, to: &links)
            #expect(Array(links) == node.out[0])
        }
    }

    /// Each layer takes the fewest bytes its largest id needs: 2 below 65,536, 3 below 2^24.
    @Test func narrowRecordsTakeTheFewestBytesEachLayerNeeds() {
        let node = Node(out: [Array(0..<30), [70_000]], in: [Array(100..<130), [16_777_216]])
        let wide = GraphRecord.encode(node, layout: GraphRecord.wideLayout)
        let narrow = GraphRecord.encode(node, layout: GraphRecord.narrowLayout)
        #expect(wide.count == GraphRecord.headerSize + 2 * GraphRecord.layerHeaderSize + 4 * 62)
        #expect(narrow.count == GraphRecord.headerSize + 2 * GraphRecord.layerHeaderSize + 2 * 60 + 4 * 2)
        #expect(GraphRecord.idWidth(forLargest: 65_535) == 2)
        #expect(GraphRecord.idWidth(forLargest: 65_536) == 3)
        #expect(GraphRecord.idWidth(forLargest: 16_777_215) == 3)
        #expect(GraphRecord.idWidth(forLargest: 16_777_216) == 4)
    }

    /// A width a layout does not allow is damage: a wide record with a width byte, a narrow one
    /// with width 0, 1 or 5 (the checksum made right again, so only the shape check can tell).
    @Test func widthsTheLayoutDoesNotAllowAreDamage() {
        let node = Node(out: [[1, 2]], in: [[3]])
        for (layout, width) in [(GraphRecord.wideLayout, UInt8(2)), (GraphRecord.narrowLayout, 0), (GraphRecord.narrowLayout, 1),
                                (GraphRecord.narrowLayout, 5), (GraphRecord.narrowLayout, 4)] {
            var bytes = GraphRecord.encode(node, layout: layout)
            bytes[GraphRecord.headerSize + 2] = width
            bytes.withUnsafeMutableBytes { record in
                record.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
                record.storeBytes(of: Checksum.crc32c(UnsafeRawBufferPointer(record)).littleEndian, toByteOffset: 4, as: UInt32.self)
            }
            #expect(decode(bytes) == nil, "layout \(layout) width \(width)")
        }
    }

    @Test(arguments: samples, layouts)
    func everyFlippedByteOrTruncationIsDetected(node: Node, layout: UInt8) {
        let bytes = GraphRecord.encode(node, layout: layout)
        var undetected: [String] = []
        for index in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[index] ^= mask
                if decode(damaged) != nil { undetected.append("byte \(index) ^ \(mask)") }
            }
        }
        for length in 0..<bytes.count where decode(Array(bytes.prefix(length))) != nil {
            undetected.append("truncated to \(length)")
        }
        if decode(bytes + [0, 0, 0, 0]) != nil { undetected.append("extended") }
        #expect(undetected.isEmpty, "\(undetected.prefix(10))")
    }

    /// In-links are not bounded (every node that links here adds one): a node many others link to,
    /// for example one of many identical vectors, must still be stored, not crash the writer.
    @Test func aNodeWithMoreThan65535InLinksIsStored() async {
        await #expect(processExitsWith: .success) {
            let node = GraphRecord.Node(out: [[1, 2]], in: [Array(0..<70_000)])
            let bytes = GraphRecord.encode(node)
            let decoded = bytes.withUnsafeBytes { GraphRecord.isIntact($0) ? GraphRecord.decode($0) : nil }
            if decoded != node { exit(1) }
        }
    }
}
