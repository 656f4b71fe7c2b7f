import FeatureMemory

/// The deterministic workload of the crash test: batch `b` of seed `s` is always the same
/// operations, so the parent can compute what the store must hold after any prefix of batches.
struct CrashWorkload {
    /// One operation of a batch.
    enum Operation: Equatable {
        /// Put (insert or replace) this vector.
        case put(id: UInt64, vector: [Float])
        /// Replace the vector of an id that exists; nothing when it does not.
        case update(id: UInt64, vector: [Float])
        /// Delete an id that exists; nothing when it does not.
        case delete(id: UInt64)
    }

    let seed: UInt64
    let dimension: Int
    /// Ids are drawn from 0..<idSpace, so batches overwrite and delete each other's work.
    let idSpace: UInt64

    /// The operations of batch `batch`: mostly small batches, every 25th a large one (map growth).
    func operations(ofBatch batch: Int) -> [Operation] {
        var random = SeededGenerator(seed: seed &+ UInt64(batch) &* 0x9E37_79B9_7F4A_7C15)
        let size = batch % 25 == 24 ? 400 : 1 + Int(random.next() % 24)
        return (0..<size).map { _ in
            let id = random.next() % idSpace
            let kind = random.next() % 10
            switch kind {
            case 0..<6: return .put(id: id, vector: vector(&random))
            case 6..<8: return .update(id: id, vector: vector(&random))
            default: return .delete(id: id)
            }
        }
    }

    /// Applies batch `batch` to the expected contents, as the store applies it.
    func apply(batch: Int, to state: inout [UInt64: [Float]]) {
        for operation in operations(ofBatch: batch) {
            switch operation {
            case let .put(id, vector): state[id] = vector
            case let .update(id, vector): if state[id] != nil { state[id] = vector }
            case let .delete(id): state[id] = nil
            }
        }
    }

    /// Applies batch `batch` to the store, in one transaction.
    func apply(batch: Int, to store: FeatureStore) throws {
        let operations = operations(ofBatch: batch)
        try store.write { txn in
            for operation in operations {
                switch operation {
                case let .put(id, vector): try txn.put(vector, for: id)
                case let .update(id, vector): if try txn.contains(id) { try txn.update(id, vector: vector) }
                case let .delete(id): if try txn.contains(id) { try txn.delete(id) }
                }
            }
        }
    }

    private func vector(_ random: inout SeededGenerator) -> [Float] {
        (0..<dimension).map { _ in Float(Int(random.next() % 2001) - 1000) / 100 }
    }
}
