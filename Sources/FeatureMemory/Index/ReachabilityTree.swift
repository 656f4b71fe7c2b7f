/// A proof that every node of layer 0 is reachable from the entry point: a parent for each node,
/// the parents' links forming a tree from the entry point over out-links the graph has.
///
/// The writer keeps the graph reachable with it at the end of each write transaction
/// (`HNSWWriter.keepReachable`). Only a node that lost a layer-0 in-link in the transaction, or
/// is new, can have become unreachable (a path that no longer exists enters the unreachable
/// nodes through a removed link), so only nodes whose tree link went, and new nodes, need a new
/// parent: an in-link from a node whose parents lead to the entry point without passing through a
/// node that needs one. Kept in memory for one store object; a commit by anyone else (another
/// store object or process) makes it stale, and the next transaction builds it again.
final class ReachabilityTree: @unchecked Sendable {
    // @unchecked: used only by the store object's writer, under the environment's writer lock
    /// "No parent".
    static let none = UInt32.max
    /// The longest chain of parents followed; a longer one counts as unproven.
    static let longestChain = 256

    private var parents: [UInt32] = []
    /// The entry point the tree starts from, when built.
    private(set) var root: UInt32?
    /// Whether the parents hold for the graph as of the last commit (and this transaction's notes).
    private(set) var isBuilt = false
    /// Nodes that need a parent: their tree link went, or they are new, in this transaction.
    private(set) var detached = Set<UInt32>()
    private var lastCommitID = -1
    private var inTransaction = false

    /// Called when a write transaction begins (again, when the map had to grow).
    func begin(transactionID: Int) {
        if inTransaction || transactionID - 1 != lastCommitID { invalidate() }
        inTransaction = true
        detached.removeAll()
    }

    /// Called after a commit succeeded.
    func committed(transactionID: Int) {
        lastCommitID = transactionID
        inTransaction = false
    }

    /// Called when a write transaction was rolled back or its commit failed.
    func rolledBack() {
        invalidate()
        lastCommitID = -1
        inTransaction = false
    }

    /// Forgets the tree; the next check builds it again.
    func invalidate() {
        isBuilt = false
        root = nil
        parents = []
        detached.removeAll()
    }

    /// `node`'s layer-0 out-links went from `old` to `new` (nil: the node had no record).
    func linksChanged(of node: UInt32, from old: [UInt32]?, to new: [UInt32]) {
        guard isBuilt else { return }
        guard let old else {
            setParent(of: node, to: Self.none)
            detached.insert(node)
            return
        }
        // only tree links matter, and few of a list's targets hang from it: no set of the list
        for target in old where parent(of: target) == node && !new.contains(target) {
            setParent(of: target, to: Self.none)
            detached.insert(target)
        }
    }

    /// `node`'s record is gone; `outLinks` were its layer-0 out-links.
    func removed(_ node: UInt32, outLinks: [UInt32]) {
        guard isBuilt else { return }
        for target in outLinks where parent(of: target) == node {
            setParent(of: target, to: Self.none)
            detached.insert(target)
        }
        setParent(of: node, to: Self.none)
        detached.remove(node)
    }

    /// Starts a tree at `root`: every other node without a parent until `attach` gives it one.
    func start(root: UInt32, nodeLimit: Int) {
        parents = [UInt32](repeating: Self.none, count: nodeLimit)
        self.root = root
        isBuilt = true
        detached.removeAll()
    }

    /// Gives `node` the parent `parent`, which must link to it.
    func attach(_ node: UInt32, to parent: UInt32) {
        setParent(of: node, to: parent)
        detached.remove(node)
    }

    /// Whether `node` is the root or its parents lead to the root without passing through a
    /// detached node or `avoiding` (a node it would hang under): then it is reachable through
    /// links the graph has now.
    func leadsToRoot(from node: UInt32, avoiding: UInt32) -> Bool {
        guard let root else { return false }
        var current = node
        for _ in 0..<Self.longestChain {
            if current == root { return true }
            if current == avoiding || detached.contains(current) { return false }
            let next = parent(of: current)
            if next == Self.none { return false }
            current = next
        }
        return false
    }

    /// `node`'s parent, `none` when it has none.
    func parent(of node: UInt32) -> UInt32 {
        Int(node) < parents.count ? parents[Int(node)] : Self.none
    }

    private func setParent(of node: UInt32, to parent: UInt32) {
        let index = Int(node)
        if index >= parents.count {
            guard parent != Self.none else { return }
            parents.append(contentsOf: repeatElement(Self.none, count: max(index + 1 - parents.count, parents.count / 2)))
        }
        parents[index] = parent
    }
}
