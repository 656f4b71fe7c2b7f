/// How many slots the node cache may use, decided window by window of lookups by hill climbing.
///
/// - Full (it evicted during the window): the target grows by an eighth of the budget while each
///   growth still buys hit rate, and stops at the level where it no longer does.
/// - Not full: the target follows what is used plus an eighth; nothing is evicted for it.
/// - Full and steady for four windows: it tries giving an eighth back and keeps the smaller size
///   only if the next window's hit rate stays within `shrinkTolerance` of the rate before the
///   first such step (so repeated small losses cannot add up), else it returns and waits.
struct AdaptiveSizing {
    /// Lookups per decision window.
    static let window: UInt64 = 131_072
    /// A change in hit rate smaller than this is noise when growing.
    static let growthTolerance = 0.002
    /// The most hit rate a smaller size may cost, against the rate before shrinking began.
    static let shrinkTolerance = 0.002
    /// The smallest target, in slots.
    static let minimum = 256

    /// Slots the budget holds.
    let capacity: Int
    /// Slots the cache may use now.
    private(set) var target: Int
    private var previousHitRate: Double?
    private var grewLast = false
    /// The hit rate at which growing stopped paying; growth resumes if the rate falls below it.
    private var plateau: Double?
    private var steadyWindows = 0
    /// The hit rate before the current run of shrinking steps.
    private var reference: Double?
    private var probeFrom: Int?
    private var cooldown = 0

    init(capacity: Int) {
        self.capacity = capacity
        target = min(capacity, max(capacity / 8, Self.minimum))
    }

    /// Slots a warm start asked for; while the cache is not full, the target stays at least this.
    private(set) var reserved = 0

    /// Raises the target to at least `slots` and keeps it there while nothing is evicted (a warm
    /// start loading a saved image, or the whole store while it fits): a load in progress would
    /// otherwise see the target follow what it has loaded so far and stop it there.
    mutating func reserve(_ slots: Int) {
        reserved = min(capacity, max(reserved, slots))
        target = max(target, reserved)
    }

    /// The target after a window with `hitRate` and `evictions`, the cache holding `used` slots.
    mutating func next(hitRate: Double, evictions: Int, used: Int) -> Int {
        defer { previousHitRate = hitRate }
        if cooldown > 0 { cooldown -= 1 }
        let step = max(capacity / 8, Self.minimum)
        if let from = probeFrom {
            probeFrom = nil
            if hitRate < (reference ?? hitRate) - Self.shrinkTolerance {
                target = from
                reference = nil
                cooldown = 16
            }
            steadyWindows = 0
            return target
        }
        let full = evictions > 0 && used >= target
        guard full else {
            grewLast = false
            // the unused part of the target holds no memory; keep it near what is used, so the
            // reported target is what the cache needs
            if used + used / 8 < target { target = min(capacity, max(Self.minimum, used + used / 8, reserved)) }
            return target
        }
        let climbing = previousHitRate.map { hitRate > $0 + Self.growthTolerance } ?? true
        if grewLast && !climbing { plateau = hitRate }
        if let level = plateau, hitRate < level - 2 * Self.growthTolerance { plateau = nil }
        if target < capacity && plateau == nil {
            target = min(capacity, target + step)
            grewLast = true
            steadyWindows = 0
            reference = nil
            return target
        }
        grewLast = false
        let steady = previousHitRate.map { abs(hitRate - $0) <= Self.growthTolerance } ?? false
        steadyWindows = steady ? steadyWindows + 1 : 0
        if steadyWindows >= 4 && cooldown == 0 && target > Self.minimum {
            if reference == nil { reference = hitRate }
            probeFrom = target
            target = max(Self.minimum, target - target / 8)
            steadyWindows = 0
        }
        return target
    }
}
