import Foundation
import Testing
@testable import FeatureMemory

/// Damage written into a store's data file, as a failing disk would leave it.
///
/// Only the bytes that change are written, in place (`pwrite`), so the file is never shorter, not
/// even for a moment. Rewriting the whole file instead (`Data.write(to:)` opens it with `O_TRUNC`:
/// zero bytes until its write ends) puts every mapped page past the end of the file meanwhile, and
/// a thread that reads the map then dies with SIGBUS: a store object left open on the file, its
/// warm start sweeping the map on the prefetch thread, took the whole test process down that way.
/// The damaging calls also require that no store object of this process has the store open (LMDB
/// does not expect its file to change under it, and a store object keeps addresses it checked).
enum DataFileDamage {
    /// Flips (xor 0x5A) the byte `offset` bytes into every copy of `needle` in the data file of the
    /// closed store in `directory`; returns how many copies.
    @discardableResult
    static func flip(
        _ needle: [UInt8], at offset: Int, inStoreAt directory: URL, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Int {
        try requireClosed(directory, sourceLocation: sourceLocation)
        let file = dataFile(of: directory)
        let contents = [UInt8](try Data(contentsOf: file))
        let found = occurrences(of: needle, in: contents)
        for start in found { try overwrite([contents[start + offset] ^ 0x5A], at: start + offset, in: file) }
        return found.count
    }

    /// Writes `bytes` at `offset` of the data file of the closed store in `directory`.
    static func write(
        _ bytes: [UInt8], at offset: Int, inStoreAt directory: URL, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try requireClosed(directory, sourceLocation: sourceLocation)
        try overwrite(bytes, at: offset, in: dataFile(of: directory))
    }

    /// Writes `bytes` at `offset` of `file` in place, whoever has it open.
    static func overwrite(_ bytes: [UInt8], at offset: Int, in file: URL) throws {
        let descriptor = open(file.path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        guard written == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    static func dataFile(of directory: URL) -> URL { directory.appendingPathComponent("data.mdb") }

    private static func requireClosed(_ directory: URL, sourceLocation: SourceLocation) throws {
        try #require(
            !EnvironmentRegistry.shared.isOpen(directory: directory.path),
            "a store object of this process has \(directory.lastPathComponent) open: close it before damaging its file",
            sourceLocation: sourceLocation)
    }
}
