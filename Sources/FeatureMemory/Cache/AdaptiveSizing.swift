/// How many slots the node cache may use, decided window by window of lookups by hill climbing:
/// the target grows by an eighth of the budget while the cache is full and each growth still buys
/// hit rate; once the hit rate is steady, it tries giving an eighth back, and keeps the smaller
/// size only when the next window's hit rate holds.
struct AdaptiveSizing {
    /// Lookups per decision window.
    static let window: UInt64 = 32_768
    /// A change in hit rate smaller than this is noise.
    static let tolerance = 0.005

    /// Slots the budget holds.
    let capacity: Int
    /// Slots the cache may use now.
    private(set) var target: Int
    private var previousHitRate: Double?
    private var grewLast = false
    /// The hit rate at which growing stopped paying; growth resumes if the rate falls below it.
    private var plateau: Double?
    private var steadyWindows = 0
    private var probe: (from: Int, hitRate: Double)?
    private var cooldown = 0

    init(capacity: Int) {
        self.capacity = capacity
        target = min(capacity, max(capacity / 8, 256))
    }

    /// The target after a window with `hitRate` and `evictions`, the cache holding `used` slots.
    mutating func next(hitRate: Double, evictions: Int, used: Int) -> Int {
        defer { previousHitRate = hitRate }
        if cooldown > 0 { cooldown -= 1 }
        if let probe {
            self.probe = nil
            if hitRate < probe.hitRate - Self.tolerance {
                // the smaller size cost hits: go back and leave it for a while
                target = probe.from
                cooldown = 16
                steadyWindows = 0
                return target
            }
            steadyWindows = 0
            return target
        }
        let climbing = previousHitRate.map { hitRate > $0 + Self.tolerance } ?? true
        if grewLast && !climbing { plateau = hitRate }
        if let level = plateau, hitRate < level - 2 * Self.tolerance { plateau = nil }
        let full = evictions > 0 && used >= target
        if full && target < capacity && plateau == nil {
            target = min(capacity, target + max(capacity / 8, 256))
            grewLast = true
            steadyWindows = 0
            return target
        }
        grewLast = false
        let steady = previousHitRate.map { abs(hitRate - $0) <= Self.tolerance } ?? false
        steadyWindows = steady ? steadyWindows + 1 : 0
        if steadyWindows >= 4 && cooldown == 0 && target > 256 {
            probe = (target, hitRate)
            target = max(256, target - target / 8)
            steadyWindows = 0
        }
        return target
    }
}
