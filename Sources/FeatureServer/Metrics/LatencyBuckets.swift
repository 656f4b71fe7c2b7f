import Foundation
import Synchronization

/// Request durations counted in fixed buckets 20 % apart (20 µs to about a minute), so the
/// dashboard can take percentiles of any interval from two snapshots of the counts.
final class LatencyBuckets: Sendable {
    /// The upper bound of each bucket, in seconds; the last bucket takes everything longer.
    static let bounds: [Double] = {
        var bounds: [Double] = []
        var bound = 20e-6
        while bound < 60 {
            bounds.append(bound)
            bound *= 1.2
        }
        bounds.append(.infinity)
        return bounds
    }()

    private let counts = Mutex([Int](repeating: 0, count: LatencyBuckets.bounds.count))

    /// Counts one request that took `seconds`.
    func record(seconds: Double) {
        let index = Self.bucket(of: seconds)
        counts.withLock { $0[index] += 1 }
    }

    /// The counts now, one per bucket.
    var snapshot: [Int] { counts.withLock { $0 } }

    static func bucket(of seconds: Double) -> Int {
        guard seconds > bounds[0] else { return 0 }
        let index = Int((log(seconds / bounds[0]) / log(1.2)).rounded(.up))
        // rounding may land one bucket off: settle on the first bound at or above the value
        var settled = min(max(index, 0), bounds.count - 1)
        while settled > 0, bounds[settled - 1] >= seconds { settled -= 1 }
        while settled < bounds.count - 1, bounds[settled] < seconds { settled += 1 }
        return settled
    }

    /// The `quantile` (0…1) of the requests counted between two snapshots, in seconds,
    /// interpolated inside its bucket; nil when none were counted.
    static func quantile(_ quantile: Double, from earlier: [Int], to later: [Int]) -> Double? {
        guard earlier.count == later.count else { return nil }
        let deltas = zip(later, earlier).map { max($0 - $1, 0) }
        let total = deltas.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = quantile * Double(total)
        var seen = 0
        for (index, count) in deltas.enumerated() where count > 0 {
            if Double(seen + count) >= rank {
                let lower = index == 0 ? 0 : bounds[index - 1]
                let upper = bounds[index].isFinite ? bounds[index] : lower * 1.2
                let fraction = (rank - Double(seen)) / Double(count)
                return lower + (upper - lower) * min(max(fraction, 0), 1)
            }
            seen += count
        }
        return bounds[bounds.count - 2]
    }
}
