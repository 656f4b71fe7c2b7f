import Foundation
import Synchronization

/// Runs the collections' recall canaries every `interval` on a thread of their own, within a
/// budget of `coreShare` of one core: each tick adds that share of the interval as credit, each
/// check spends what it took, and checks stop while the credit is spent — a store so large that
/// one exhaustive search takes longer than a tick's credit is checked every few ticks instead.
final class CanaryScheduler: Sendable {
    /// Seconds between runs.
    let interval: Double
    /// The share of one core the canary may use on average.
    let coreShare: Double
    private let collections: @Sendable () -> [Collection]
    private let defaultEf: Int?
    private let timer = Mutex<RepeatingTimer?>(nil)
    private let credit = Mutex(0.0)
    private let turn = Mutex(0)

    /// A scheduler over what `collections` returns at each tick.
    init(interval: Double, coreShare: Double = 0.008, defaultEf: Int?, collections: @escaping @Sendable () -> [Collection]) {
        self.interval = interval
        self.coreShare = coreShare
        self.defaultEf = defaultEf
        self.collections = collections
    }

    /// Starts the ticks.
    func start() {
        let timer = RepeatingTimer(label: "fmdb.recall-canary", interval: interval, firstDelay: interval) { [weak self] in self?.tick() }
        self.timer.withLock { $0 = timer }
        timer.start()
    }

    /// Stops the ticks and waits for one in progress.
    func stop() {
        timer.withLock { $0 }?.stop()
    }

    /// One run: checks waiting samples round robin across collections while credit lasts.
    func tick() {
        let perTick = interval * coreShare
        var available = credit.withLock { credit in
            credit = min(credit + perTick, 4 * perTick)
            return credit
        }
        let open = collections()
        guard !open.isEmpty else { return }
        var idle = 0
        var index = turn.withLock { $0 } % open.count
        while available > 0, idle < open.count {
            let collection = open[index]
            index = (index + 1) % open.count
            let started = ContinuousClock.now
            let check = collection.canary.checkOne(in: collection.store, defaultEf: defaultEf)
            guard check != .none else {
                idle += 1
                continue
            }
            idle = 0
            let seconds = (ContinuousClock.now - started).seconds
            available -= seconds
            collection.metrics?.canarySeconds.increment(by: seconds)
            if case .checked(let found, let expected) = check, let metrics = collection.metrics {
                metrics.canaryChecks.increment()
                metrics.canaryFound.increment(by: Int64(found))
                metrics.canaryExpected.increment(by: Int64(expected))
            }
        }
        turn.withLock { $0 = index }
        credit.withLock { $0 = available }
    }
}
