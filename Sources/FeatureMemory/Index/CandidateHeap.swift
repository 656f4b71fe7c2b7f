/// A node and its distance to the query. Ordered by distance, then node id, so results are
/// deterministic when distances tie.
struct Candidate: Comparable {
    var distance: Float
    var node: UInt32

    @inline(__always)
    static func < (a: Candidate, b: Candidate) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.node < b.node)
    }
}

/// A binary heap of candidates whose storage is kept between searches (no allocation per
/// search). `nearestFirst` pops the nearest; otherwise the farthest is on top.
struct CandidateHeap {
    private(set) var elements: ContiguousArray<Candidate> = []
    let nearestFirst: Bool

    init(nearestFirst: Bool) { self.nearestFirst = nearestFirst }

    var count: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }
    /// The nearest (or, for a farthest-first heap, the farthest) candidate.
    var top: Candidate? { elements.first }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }

    @inline(__always)
    private func above(_ a: Candidate, _ b: Candidate) -> Bool { nearestFirst ? a < b : b < a }

    mutating func push(_ candidate: Candidate) {
        elements.append(candidate)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard above(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    /// Keeps `candidate` if it is among the `k` nearest offered so far (a farthest-first heap
    /// holding at most `k`): the top-k pattern of exhaustive searches.
    @inline(__always)
    mutating func offer(_ candidate: Candidate, keeping k: Int) {
        if count < k {
            push(candidate)
        } else if let worst = top, candidate < worst {
            _ = pop()
            push(candidate)
        }
    }

    mutating func pop() -> Candidate? {
        guard let first = elements.first else { return nil }
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            var parent = 0
            let n = elements.count
            while true {
                let left = 2 * parent + 1
                guard left < n else { break }
                let right = left + 1
                var best = left
                if right < n && above(elements[right], elements[left]) { best = right }
                guard above(elements[best], elements[parent]) else { break }
                elements.swapAt(best, parent)
                parent = best
            }
        }
        return first
    }
}
