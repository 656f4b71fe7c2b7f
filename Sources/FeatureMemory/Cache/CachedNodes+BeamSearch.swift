internal import CFeatureMemoryShims

extension CachedNodes {
    /// The layer-0 beam search in C (`fm_beam_search_layer0`) when the cache holds every node it
    /// reaches and the query has an integer form; nil otherwise, and for the next
    /// `SearchScratch.beamBackoffSearches` searches of this scratch after a miss.
    mutating func searchLayerZero(_ query: UnsafeRawPointer, norm: Float, entries: [Candidate], ef: Int) -> (found: [Candidate], visited: Int)? {
        guard canSearchInC, let bound = try? map.nodeBound() else { return nil }
        var beamView = self.beamView(norm: norm, epoch: epoch)
        var looked = 0
        let result = map.scratch.searchLayerZeroInC(entries: entries, ef: ef, nodeBound: bound) { beam, starts, found, visited in
            fm_beam_search_layer0(&beamView, beam, bound, starts.baseAddress, starts.count, ef, &found, &visited, &looked)
        }
        if result != nil { countHits(looked) }
        return result
    }

    /// A greedy step of the descent through the upper layers in C (`fm_beam_nearest_of`), with
    /// the same conditions as `searchLayerZero`; upper-layer reads are not counted as lookups
    /// and leave the entries' epochs alone, as the Swift step does.
    mutating func nearest(of nodes: ContiguousArray<UInt32>, than current: Candidate, norm: Float) -> (best: Candidate, improved: Bool)? {
        guard canSearchInC, map.scratch.beamSearchAllowed else { return nil }
        var beamView = self.beamView(norm: norm, epoch: 0)
        var best = fm_candidate(distance: current.distance, node: current.node)
        let improved = nodes.withUnsafeBufferPointer { fm_beam_nearest_of(&beamView, $0.baseAddress, $0.count, &best) }
        guard improved >= 0 else { return nil }
        return (Candidate(distance: best.distance, node: best.node), improved == 1)
    }

    /// Whether the C searches can read this cache with this query: integer codes and a query with
    /// an integer form.
    private var canSearchInC: Bool { view.format.isIntegerCoded && self.query.isIntegral }

    /// The cache and the current query as the C searches read them.
    private func beamView(norm: Float, epoch: UInt32) -> fm_beam_view {
        fm_beam_view(
            arena: view.arena.assumingMemoryBound(to: UInt8.self), stride: view.stride, vector_offset: view.vectorOffset,
            maximum_links: view.maximumLinks, index_slot: UnsafePointer(OpaquePointer(view.indexSlot)), shared: view.shared,
            used_counter_base: NodeCache.usedCounterBase, snapshot: map.snapshot, epoch: epoch,
            query: self.query.beamQuery(norm: norm, format: UInt32(view.format == .nibbles ? FM_BEAM_NIBBLES : FM_BEAM_BYTES)))
    }
}
