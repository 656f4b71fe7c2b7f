import Foundation

/// The predictive prefetcher's model: which query region tends to follow which. A region is the
/// layer-0 node a search's descent through the upper layers arrives at, so queries near one
/// another share it. The model counts transitions between consecutive searches' regions and
/// remembers the results last found in each; after a search it names the results of the region
/// most likely to come next, whose neighbourhoods are then loaded ahead.
final class AccessPredictor: @unchecked Sendable {
    // @unchecked: all state changes under `lock`.

    /// Regions tracked at most; past it the model starts over (a workload that wide has no pattern
    /// worth the memory).
    static let maximumRegions = 65_536
    /// A transition seen fewer times is not acted on.
    static let minimumCount: UInt32 = 2
    /// Nor one that follows its region in a smaller share of cases.
    static let minimumShare = 0.3

    private let lock = NSLock()
    private var previous: UInt32?
    private var transitions: [UInt32: [UInt32: UInt32]] = [:]
    private var lastResults: [UInt32: [UInt32]] = [:]

    /// Notes that a search arrived at `region` and found `results`; returns the nodes worth
    /// loading for the next search, or nil when no next region is likely enough.
    func observe(region: UInt32, results: [UInt32]) -> [UInt32]? {
        lock.lock()
        defer { lock.unlock() }
        if transitions.count >= Self.maximumRegions || lastResults.count >= Self.maximumRegions {
            transitions.removeAll()
            lastResults.removeAll()
        }
        if let previous { transitions[previous, default: [:]][region, default: 0] += 1 }
        previous = region
        lastResults[region] = results
        guard let following = transitions[region],
              let (next, count) = following.max(by: { $0.value < $1.value }),
              next != region, count >= Self.minimumCount,
              Double(count) / Double(following.values.reduce(0, +)) >= Self.minimumShare
        else { return nil }
        return lastResults[next]
    }
}
