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

    /// The environment open on `directory`, or a new one opened with `configuration`.
    /// Returns whether it was opened anew.
    func environment(
        directory: String, configuration: Environment.Configuration
    ) throws(StoreError) -> (environment: Environment, isNew: Bool) {
        let key = Self.key(directory)
        return try open.withLock { (table) throws(StoreError) -> (Environment, Bool) in
            if let existing = table[key]?.environment {
                try existing.adopt(configuration)
                return (existing, false)
            }
            let environment = try Environment(directory: directory, configuration: configuration)
            table = table.filter { $0.value.environment != nil }
            table[key] = WeakEnvironment(environment)
            return (environment, true)
        }
    }
}
