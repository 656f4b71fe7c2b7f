import Dispatch

/// The writer's changes to its cache during a transaction whose batch is still being planned
/// from the cache by other threads (`WriterCache.deferChanges`): kept here, seen only by the
/// writer, and applied to the cache's slots once the planners are done.
struct PendingChanges {
    /// A vector the writer stored, copied out of the caller's buffer.
    final class Vector {
        let values: UnsafeMutableRawPointer
        let norm: Float

        init(_ values: UnsafeRawPointer, bytes: Int, norm: Float) {
            self.values = .allocate(byteCount: max(bytes, 1), alignment: 64)
            self.values.copyMemory(from: values, byteCount: bytes)
            self.norm = norm
        }

        deinit { values.deallocate() }
    }

    /// Per node, its new record, or nil when the writer forgot it (the map holds the truth).
    var nodes: [UInt32: GraphRecord.Node?] = [:]
    /// Per node, its new vector, or nil when the writer removed it.
    var vectors: [UInt32: Vector?] = [:]

    var isEmpty: Bool { nodes.isEmpty && vectors.isEmpty }
}
