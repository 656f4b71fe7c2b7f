extension Array where Element: Hashable {
    /// The elements in their order, each only at its first occurrence.
    ///
    /// What the writer iterates must come in an order fixed by the writes alone: a `Set`'s order
    /// depends on its storage's address, so two replicas applying the same log would relink
    /// nodes in different orders and build different graphs.
    func uniqued() -> [Element] {
        var seen = Set<Element>(minimumCapacity: count)
        return filter { seen.insert($0).inserted }
    }
}
