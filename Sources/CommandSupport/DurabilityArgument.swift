import ArgumentParser
import FeatureMemory

/// `--durability` values.
public enum DurabilityArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Every commit synced (the default).
    case full
    /// Data synced, the meta page not.
    case noMetaSync = "no-meta-sync"
    /// Nothing synced: survives a crash of the process, not of the machine.
    case noSync = "no-sync"

    /// The engine's setting.
    public var value: Durability {
        switch self {
        case .full: .full
        case .noMetaSync: .noMetaSync
        case .noSync: .noSync
        }
    }
}
