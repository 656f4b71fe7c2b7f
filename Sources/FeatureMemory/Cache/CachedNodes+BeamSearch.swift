internal import CFeatureMemoryShims

extension CachedNodes {
    /// Searches after a C beam search met an uncached node that go straight to the Swift one
    /// (a cache still filling would otherwise start most searches twice).
    static var beamBackoffSearches: Int { 64 }

    /// The layer-0 beam search in C (`fm_beam_search_layer0`) when the cache holds every node it
    /// reaches and the query has an integer form; nil otherwise, and for the next
    /// `beamBackoffSearches` searches of this scratch after a miss.
    mutating func searchLayerZero(_ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int) -> (found: [Candidate], visited: Int)? {
        let scratch = map.scratch
        guard view.format.isIntegerCoded, self.query.isIntegral, ef > 0, fm_beam_is_enabled() != 0 else { return nil }
        if scratch.beamBackoff > 0 {
            scratch.beamBackoff -= 1
            return nil
        }
        guard let beam = scratch.beamScratch(), let bound = try? map.nodeBound(), bound > 0 else { return nil }
        var beamView = fm_beam_view(
            arena: view.arena.assumingMemoryBound(to: UInt8.self), stride: view.stride, vector_offset: view.vectorOffset,
            maximum_links: view.maximumLinks, index_slot: UnsafePointer(OpaquePointer(view.indexSlot)), shared: view.shared,
            used_counter_base: NodeCache.usedCounterBase, snapshot: map.snapshot, epoch: epoch,
            format: UInt32(view.format == .nibbles ? FM_BEAM_NIBBLES : FM_BEAM_BYTES), metric: UInt32(metric.storedCode),
            query_integers: self.query.integers, unit: self.query.unit, sum: self.query.sum, query_norm: norm,
            dimension: dimension)
        let starts = entries.map { fm_candidate(distance: $0.distance, node: $0.node) }
        var out = [fm_candidate](repeating: fm_candidate(), count: min(ef, bound))
        var visited = 0, looked = 0
        let count = out.withUnsafeMutableBufferPointer { found in
            fm_beam_search_layer0(&beamView, beam, bound, starts, starts.count, ef, found.baseAddress, &visited, &looked)
        }
        guard count >= 0 else {
            scratch.beamBackoff = Self.beamBackoffSearches
            return nil
        }
        countHits(looked)
        return (out.prefix(count).map { Candidate(distance: $0.distance, node: $0.node) }, visited)
    }
}
