import Foundation
import Synchronization

/// The environments this process has open, by directory, so that two stores opened on
/// the same directory share one environment.
///
/// LMDB forbids opening one environment twice in a process: closing the second copy
/// would drop the first one's file locks. This is the one piece of process-wide state.
final class EnvironmentRegistry: Sendable {
    /// The registry of this process.
    static let shared = EnvironmentRegistry()

    private final class WeakEnvironment: @unchecked Sendable {
        // @unchecked: only read and written under `open`'s lock.
        weak var environment: Environment?
        init(_ environment: Environment) { self.environment = environment }
    }

    private let open = Mutex<[String: WeakEnvironment]>([:])

    /// Whether this process has the environment in `directory` open.
    func isOpen(directory: String) -> Bool {
        let key = Self.key(directory)
        return open.withLock { $0[key]?.environment != nil }
    }

    private static func key(_ directory: String) -> String {
        URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// A lease on the environment open on `directory`, or on a new one opened with `configuration`.
    ///
    /// When store objects use the open environment, `configuration` must match its settings or
    /// this throws `StoreError.configurationMismatch` and changes nothing; `joining` skips that
    /// check, for maintenance that takes the environment as it is (a backup of a store in use).
    /// An environment still alive but no longer used by any store object takes `configuration`.
    func environment(
        directory: String, configuration: Environment.Configuration, joining: Bool = false
    ) throws(StoreError) -> EnvironmentLease {
        let key = Self.key(directory)
        return try open.withLock { (table) throws(StoreError) -> EnvironmentLease in
            if let existing = table[key]?.environment {
                if existing.isLeased {
                    if !joining, let mismatch = existing.mismatch(with: configuration) { throw mismatch }
                } else if !joining {
                    try existing.adopt(configuration)
                }
                return existing.lease()
            }
            let environment = try Environment(directory: directory, configuration: configuration)
            table = table.filter { $0.value.environment != nil }
            table[key] = WeakEnvironment(environment)
            return environment.lease()
        }
    }
}
