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
    ]

    func decode(_ bytes: [UInt8]) -> Node? {
        bytes.withUnsafeBytes { GraphRecord.isIntact($0) ? GraphRecord.decode($0) : nil }
    }

    @Test(arguments: samples)
    func linksRoundTrip(node: Node) {
        let bytes = GraphRecord.encode(node)
        #expect(bytes[0] == GraphRecord.layoutVersion)
        #expect(Int(bytes[1]) == node.level)
        #expect(decode(bytes) == node)
        bytes.withUnsafeBytes { record in
            #expect(GraphRecord.level(of: record) == node.level)
            for layer in 0...(node.level + 1) {
                let out = GraphRecord.outLinks(of: record, layer: layer)
                let links = (0..<(out.count / 4)).map { out.littleEndian(at: 4 * $0, as: UInt32.self) }
                #expect(links == (layer <= node.level ? node.out[layer] : []))
            }
        }
    }

    @Test(arguments: samples)
    func everyFlippedByteOrTruncationIsDetected(node: Node) {
        let bytes = GraphRecord.encode(node)
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
