/// Where a `VectorFileWriter` puts a file's bytes: appended in order, then committed whole or
/// abandoned. The output decides which destinations it refuses and how the file becomes durable
/// (fmdb's `OutputFile` writes beside the destination, renames over it and never replaces a
/// store's file); this library only encodes.
public protocol VectorFileOutput: AnyObject {
    /// The destination's path, as errors name it.
    var path: String { get }
    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(VectorFileError)
    /// Makes everything written the destination's contents.
    func commit() throws(VectorFileError)
    /// Drops what was written; the destination keeps what it held.
    func abandon()
}

extension VectorFileOutput {
    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(VectorFileError) {
        var failure: VectorFileError?
        // withUnsafeBytes does not rethrow a typed error: carry it out
        bytes.withUnsafeBytes { raw in
            do throws(VectorFileError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
