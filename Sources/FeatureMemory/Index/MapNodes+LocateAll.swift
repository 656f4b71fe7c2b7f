/// Filling a snapshot's location table for every node at once.
extension MapNodes {
    /// Records in this snapshot's location table where each node's raw vector and graph record
    /// lie, walking the vector and graph tables in key order; returns the vectors located.
    ///
    /// A search that meets a node outside the node cache looks it up in two B-trees; the walk
    /// finds every address for a fraction of that (neighbouring keys share pages), so searches
    /// of a store whose cache is still loading read the map without lookups. Records are checked
    /// as on any first read (checksums, layout) and a damaged one is left out, so the search that
    /// meets it reports it as usual. LZ4-compressed vectors have no address recorded (they are
    /// decompressed on each read); their links are still located. `stop` is asked at every record;
    /// the walk ends early when it says so.
    @discardableResult
    func locateAll(until stop: () -> Bool = { false }) throws -> Int {
        guard let locations else { return 0 }
        var located = 0
        let codec = self.codec
        try tables.forEachVectorRecord(in: txn) { node, record in
            if stop() { return false }
            guard Int(node) < locations.capacity else { return true }
            guard locations.vectorRecord(node) == nil, record.count >= VectorRecord.headerSize,
                  record[1] != VectorRecord.Codec.shuffledLZ4.rawValue,
                  (try? codec.decode(record, node: node)) != nil
            else { return true }
            locations.noteCheckedVectorRecord(node, record)
            located += 1
            return true
        }
        try txn.withCursor(on: tables.graph) { cursor in
            try cursor.forEach { entry in
                if stop() { return false }
                guard let node = UInt32(keyBytes: entry.key), Int(node) < locations.capacity,
                      locations.layerZeroLinks(node) == nil, GraphRecord.isIntact(entry.value)
                else { return true }
                locations.noteIntactGraphRecord(node, entry.value)
                return true
            }
        }
        return located
    }
}
