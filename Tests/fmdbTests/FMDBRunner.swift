import FeatureMemory
import Foundation
import Testing
import VectorFiles
@testable import fmdb

/// Runs the built `fmdb` binary and captures what it prints.
struct FMDBRunner {
    /// What one run printed and how it exited.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// stdout split into non-empty lines.
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        /// stdout parsed as one JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "stdout is not a JSON object: \(stdout)")
        }
    }

    /// The binary: $FMDB_BINARY, or `fmdb` beside the test bundle (both are build products).
    static let binary: URL? = {
        if let path = ProcessInfo.processInfo.environment["FMDB_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("fmdb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/fmdb")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }()

    /// Runs `fmdb arguments…` to completion (`executable` instead of the built fmdb when given).
    @discardableResult
    static func run(_ arguments: [String], executable: URL? = nil) throws -> Result {
        let binary = try #require(executable ?? binary, "fmdb is not built: run `swift build` (make test does) or set FMDB_BINARY")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe()
        // stderr goes to a file, so reading stdout to its end cannot deadlock on a full stderr pipe
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errHandle.close()
        let errData = try Data(contentsOf: errURL)
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A temporary directory removed when the test's value goes away.
final class TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fmdb-test-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    /// A path inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `vectors` to the fvecs file `name` inside the directory; returns its path.
    func fvecs(_ vectors: [[Float]], name: String) throws -> String {
        let path = path(name)
        let writer = try VectorFileWriter(path: path, format: .fvecs, dimension: vectors[0].count, rowCount: vectors.count)
        for row in vectors { try writer.write(row) }
        try writer.finish()
        return path
    }
}

/// Deterministic vectors for the tests, from the store's seeded generator.
extension SeededGenerator {
    /// `count` vectors of `dimension` values, each uniform in −1..<1.
    mutating func vectors(_ count: Int, dimension: Int) -> [[Float]] {
        (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1..<1, using: &self) } }
    }
}
