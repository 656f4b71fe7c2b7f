extension Transaction {
    /// The hot set saved by `FeatureStore.saveHotSet` in the `meta` table; empty when none.
    func savedHotSet(in meta: Table) throws -> [UInt32] {
        try withBytes(of: .hotSet, in: meta) { bytes -> [UInt32] in
            (0..<(bytes.count / 4)).map { bytes.littleEndian(at: 4 * $0, as: UInt32.self) }
        } ?? []
    }
}
