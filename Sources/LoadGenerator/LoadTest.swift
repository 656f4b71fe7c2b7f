import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import VectorFiles

/// `fmdb-load`: an open-loop HTTP load generator for `fmdb serve` (searches and upserts).
@main
struct LoadTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmdb-load",
        abstract: "Open-loop HTTP load against fmdb serve: searches (and upserts) at a fixed rate over persistent connections.",
        discussion: """
            Request i is due at start + i/rate whatever the server does; its latency runs from that \
            time to the end of its response. Progress goes to stderr; the last line of stdout is a \
            JSON summary.
            """)

    @Argument(help: "The server's base URL, e.g. http://127.0.0.1:6380.")
    var url: String

    @Option(help: "The collection to search and write.")
    var collection: String

    @Option(help: "Query vectors (.fvecs, .npy or .jsonl); searches cycle through them.")
    var queries: String

    @Option(help: "Ground truth (.ivecs): row i holds the nearest ids of query row i. Enables recall.")
    var truth: String?

    @Option(help: "Keep-alive connections held open for the whole run.")
    var connections = 1000

    @Option(help: "Requests per second (due times are fixed: start + i/rate).")
    var rate = 500.0

    @Option(help: "Seconds of measured load (after the warm-up).")
    var duration = 60.0

    @Option(help: "Fraction of requests that are upserts (a query's values reversed, under a new id).")
    var writeFraction = 0.0

    @Option(help: "Neighbours per search (and the k of recall@k).")
    var k = 10

    @Option(help: "Search breadth sent as \"ef\"; 0 leaves it to the server.")
    var ef = 64

    @Flag(name: .customLong("b64"), help: "Send vectors as \"vector_b64\" (base64 of little-endian float32) instead of JSON numbers.")
    var base64 = false

    @Option(help: "A file whose first line is the API key, sent as `Authorization: Bearer KEY`.")
    var apiKeyFile: String?

    @Option(help: "Seconds of load before measuring (same rate; not recorded).")
    var warmup = 5.0

    @Option(help: "Seed for which requests are writes.")
    var seed: UInt64 = 1

    @Option(help: "Seconds after its due time by which a request must be answered, else it is an error.")
    var timeout = 10.0

    @Option(help: "Connections opened per second at most (a listen backlog is not overrun).")
    var connectRate = 500.0

    @Option(help: "Id of the first upserted point: id = this + request number, kept apart from the base ids.")
    var writeIdStart: UInt64 = 1_000_000_000

    @Option(help: "Upserts cycle through this many ids from --write-id-start, overwriting them (0: every upsert a new id).")
    var writeIds: UInt64 = 0

    func validate() throws {
        guard Target(url: url, collection: collection) != nil else {
            throw ValidationError("URL must be http://HOST[:PORT][/prefix] (https is not supported): \(url)")
        }
        guard !collection.isEmpty, collection.count <= 64,
              collection.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw ValidationError("--collection must be 1...64 of A-Z a-z 0-9 _ -: \(collection)")
        }
        guard connections >= 1, connections <= 100_000 else { throw ValidationError("--connections must be 1...100000") }
        guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be positive") }
        guard duration > 0, duration.isFinite, warmup >= 0, warmup.isFinite else {
            throw ValidationError("--duration must be positive and --warmup not negative")
        }
        guard (duration + warmup) * rate <= 100_000_000 else {
            throw ValidationError("(--duration + --warmup) × --rate is over 100 million requests")
        }
        guard (0...1).contains(writeFraction) else { throw ValidationError("--write-fraction must be 0...1") }
        guard (1...1000).contains(k) else { throw ValidationError("--k must be 1...1000") }
        guard (0...10000).contains(ef) else { throw ValidationError("--ef must be 0...10000") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be positive") }
        guard connectRate >= 1, connectRate.isFinite else { throw ValidationError("--connect-rate must be at least 1") }
    }

    func run() throws {
        let fileLimit = FileLimit.raiseToHardLimit()
        // the sockets, plus room for the files, the event loop's own descriptors and stdio
        if fileLimit > 0, UInt64(connections) + 32 > fileLimit {
            throw ValidationError("--connections \(connections) needs more open files than the limit (\(fileLimit)); raise `ulimit -Hn`")
        }
        guard let target = Target(url: url, collection: collection) else { throw ValidationError("bad URL: \(url)") }
        let vectors = try loadQueries()
        let truthRows = try loadTruth(queryCount: vectors.count)
        let apiKey = try loadAPIKey()

        let workload = Workload(queries: vectors, truth: truthRows, k: k, ef: ef > 0 ? ef : nil,
                                base64: base64, target: target, apiKey: apiKey)
        let plan = RequestPlan(seed: seed, writeFraction: writeFraction, queryCount: vectors.count, writeIDStart: writeIdStart, writeIDCount: writeIds)
        let settings = Report.Settings(connections: connections, rate: rate, duration: duration, warmup: warmup,
                                       writeFraction: writeFraction, k: k, ef: ef > 0 ? ef : nil, base64: base64)
        let configuration = LoadRun.Configuration(target: target, connections: connections, rate: rate, duration: duration,
                                                  warmup: warmup, timeout: .nanoseconds(Int64(timeout * 1e9)),
                                                  connectRate: connectRate)
        // one thread: every connection and the schedule share it, so the run's state needs no lock,
        // and the other core stays with the server under test
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loadRun = LoadRun(configuration: configuration, settings: settings, workload: workload, plan: plan,
                              eventLoop: group.next())
        let report = try loadRun.run().wait()
        print(try report.jsonLine())
    }

    private func loadQueries() throws -> [[Float]] {
        let rows = try VectorFileReader(path: queries).readAll()
        guard !rows.isEmpty else { throw ValidationError("\(queries) holds no vectors") }
        for (index, row) in rows.enumerated() where !row.vector.allSatisfy(\.isFinite) {
            throw ValidationError("\(queries) row \(index) holds NaN or infinity; the server refuses it")
        }
        return rows.map(\.vector)
    }

    private func loadTruth(queryCount: Int) throws -> [[Int32]]? {
        guard let truth else { return nil }
        let rows = try IVecsFile.read(path: truth)
        guard rows.count >= queryCount else {
            throw ValidationError("\(truth) has \(rows.count) rows; \(queries) has \(queryCount) (row i is the truth of query i)")
        }
        if let short = rows.prefix(queryCount).firstIndex(where: { $0.count < k }) {
            throw ValidationError("\(truth) row \(short) has \(rows[short].count) neighbours; --k \(k) needs at least \(k)")
        }
        return Array(rows.prefix(queryCount))
    }

    private func loadAPIKey() throws -> String? {
        guard let apiKeyFile else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: apiKeyFile, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read --api-key-file \(apiKeyFile)")
        }
        guard let key = text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { !$0.isEmpty }) else {
            throw ValidationError("--api-key-file \(apiKeyFile) holds no key")
        }
        return key
    }
}
