/// The best `capacity` candidates seen so far, as a binary max-heap on memory the caller owns:
/// the worst on top, so a new candidate is compared with one value and, if nearer, replaces it
/// in O(log k). Unlike `CandidateHeap` it never grows, so a k-d tree query can keep it in
/// temporary stack memory and allocate nothing per query but the result.
struct BoundedMaxHeap {
    /// Room for `capacity` candidates; the first `count` are the heap.
    let storage: UnsafeMutablePointer<Candidate>
    /// The most candidates kept (at least 1).
    let capacity: Int
    /// How many candidates are kept.
    private(set) var count = 0

    /// Starts empty on `storage`, which has room for `capacity` (at least 1) candidates.
    init(storage: UnsafeMutablePointer<Candidate>, capacity: Int) {
        precondition(capacity > 0)
        self.storage = storage
        self.capacity = capacity
    }

    /// Whether `capacity` candidates are kept, so a new one must beat `worst`.
    var isFull: Bool { count == capacity }

    /// The farthest kept candidate (the heap must not be empty).
    var worst: Candidate { storage[0] }

    /// Keeps `candidate` if there is room or it is nearer than the worst kept, which it replaces.
    @inline(__always)
    mutating func offer(_ candidate: Candidate) {
        if count < capacity {
            (storage + count).initialize(to: candidate)
            count += 1
            var child = count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard storage[parent] < storage[child] else { break }
                storage.swapAt(parent, child)
                child = parent
            }
        } else if candidate < storage[0] {
            storage[0] = candidate
            siftDown(0, end: count)
        }
    }

    /// Sorts the kept candidates in place, nearest first (heap sort: the worst moves to the end).
    mutating func sortNearestFirst() {
        var end = count
        while end > 1 {
            end -= 1
            storage.swapAt(0, end)
            siftDown(0, end: end)
        }
    }

    /// Moves the candidate at `index` down until neither child within `end` is farther.
    @inline(__always)
    private func siftDown(_ index: Int, end: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < end else { return }
            var larger = left
            if left + 1 < end && storage[left] < storage[left + 1] { larger = left + 1 }
            guard storage[parent] < storage[larger] else { return }
            storage.swapAt(parent, larger)
            parent = larger
        }
    }
}

extension UnsafeMutablePointer where Pointee == Candidate {
    /// Exchanges two initialized candidates.
    @inline(__always)
    func swapAt(_ i: Int, _ j: Int) {
        let kept = self[i]
        self[i] = self[j]
        self[j] = kept
    }
}
