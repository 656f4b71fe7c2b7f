internal import CFeatureMemoryShims

extension SearchScratch {
    /// Searches after a C beam search met a node its source lacks that go straight to the Swift
    /// one (a cache still filling would otherwise start most searches twice).
    static var beamBackoffSearches: Int { 64 }

    /// Whether a C search may be tried now: they are turned on, and no miss is being backed off.
    var beamSearchAllowed: Bool { beamBackoff == 0 && fm_beam_is_enabled() != 0 }

    /// The layer-0 beam search run by `search` in C (a `fm_beam_search_layer0` or
    /// `fm_writer_search_layer0` call with this scratch's C memory, the entries, and where to put
    /// the results and the visited count): its results nearest first and how many nodes it
    /// visited; nil when it returned -1, and then for the next `beamBackoffSearches` searches.
    func searchLayerZeroInC(
        entries: [Candidate], ef: Int, nodeBound: Int,
        _ search: (OpaquePointer, UnsafeBufferPointer<fm_candidate>, inout UnsafePointer<fm_candidate>?, inout Int) -> Int
    ) -> (found: [Candidate], visited: Int)? {
        guard ef > 0, nodeBound > 0, fm_beam_is_enabled() != 0 else { return nil }
        if beamBackoff > 0 {
            beamBackoff -= 1
            return nil
        }
        guard let beam = beamScratch() else { return nil }
        var found: UnsafePointer<fm_candidate>?
        var visited = 0
        let count = withUnsafeTemporaryAllocation(of: fm_candidate.self, capacity: entries.count) { starts in
            for (index, entry) in entries.enumerated() { starts[index] = fm_candidate(distance: entry.distance, node: entry.node) }
            return search(beam, UnsafeBufferPointer(starts), &found, &visited)
        }
        guard count >= 0, let found else {
            beamBackoff = Self.beamBackoffSearches
            return nil
        }
        let results = [Candidate](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Candidate(distance: found[index].distance, node: found[index].node) }
            initialized = count
        }
        return (results, visited)
    }
}
