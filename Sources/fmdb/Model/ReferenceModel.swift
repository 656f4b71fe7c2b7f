import FeatureMemory
import Foundation

/// What the store should hold, kept in memory by the model-based test: every id's vector and
/// label, changed by the same operations the store is given.
struct ReferenceModel: Equatable {
    /// One id's expected content.
    struct Entry: Equatable {
        var vector: [Float]
        var label: String?
    }

    private(set) var entries: [UInt64: Entry] = [:]

    /// Puts `item`, replacing what its id held.
    mutating func put(_ item: VectorItem) { entries[item.id] = Entry(vector: item.vector, label: item.label) }

    /// Puts every item in order: a repeated id ends with its last item.
    mutating func put(_ items: [VectorItem]) { for item in items { put(item) } }

    /// Removes `id`.
    mutating func delete(_ id: UInt64) { entries[id] = nil }

    /// Sets the label of an existing `id`.
    mutating func setLabel(_ label: String?, for id: UInt64) { entries[id]?.label = label }

    /// Replaces the vector of an existing `id`.
    mutating func update(_ id: UInt64, vector: [Float]) { entries[id]?.vector = vector }

    /// Whether `id` is held.
    func contains(_ id: UInt64) -> Bool { entries[id] != nil }

    /// The ids held, ascending.
    var ids: [UInt64] { entries.keys.sorted() }

    /// The model of what `store` holds now.
    static func contents(of store: FeatureStore) throws -> ReferenceModel {
        var model = ReferenceModel()
        try store.read { txn in
            try txn.forEach { stored in
                model.entries[stored.id] = Entry(vector: stored.vector, label: stored.metadata.label)
                return true
            }
        }
        return model
    }

    /// The first few differences from `actual`, as lines; empty when they agree.
    func differences(from actual: ReferenceModel, limit: Int = 5) -> [String] {
        var lines: [String] = []
        for id in Set(entries.keys).union(actual.entries.keys).sorted() where lines.count < limit {
            switch (entries[id], actual.entries[id]) {
            case (nil, .some): lines.append("id \(id) is in the store but was deleted or never put")
            case (.some, nil): lines.append("id \(id) is missing from the store")
            case let (expected?, found?) where expected.vector != found.vector:
                lines.append("id \(id) holds another vector")
            case let (expected?, found?) where expected.label != found.label:
                lines.append("id \(id) has label \(found.label ?? "none"), expected \(expected.label ?? "none")")
            default: break
            }
        }
        return lines
    }
}
