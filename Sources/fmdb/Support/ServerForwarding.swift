import ArgumentParser
import CommandSupport
import Foundation

/// `fmdb serve` and `fmdb cluster` run the `fmdb-server` executable beside fmdb, by exec with the
/// same arguments: the same process (pid, signals, exit status), without the server's packages in
/// every other command's start.
enum ServerForwarding {
    /// The commands fmdb-server carries.
    static let commands: Set<String> = ["serve", "cluster"]
    /// The server executable's file name, looked for in fmdb's own directory.
    static let executableName = "fmdb-server"

    /// Replaces this process with fmdb-server when `arguments` (argv) name one of its commands,
    /// returns when they do not, and throws when fmdb-server cannot be run.
    static func forwardIfServerCommand(_ arguments: [String]) throws {
        guard arguments.count > 1, commands.contains(arguments[1]) else { return }
        try exec(Array(arguments.dropFirst()))
    }

    /// Replaces this process with `fmdb-server ARGUMENTS...`; returns only by throwing.
    static func exec(_ arguments: [String]) throws -> Never {
        let path = try serverPath(for: arguments.first ?? "serve")
        let argv = ([executableName] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        argv.forEach { free($0) }
        throw CLIError("cannot run \(path): \(reason)")
    }

    /// fmdb-server in the directory of this executable (symbolic links resolved).
    static func serverPath(for command: String) throws -> String {
        let own = URL(fileURLWithPath: ownPath()).resolvingSymlinksInPath()
        let path = own.deletingLastPathComponent().appendingPathComponent(executableName).path
        guard access(path, X_OK) == 0 else {
            throw CLIError("`fmdb \(command)` runs \(executableName), which is not beside \(own.path): build it with `make build` (or swift build --product \(executableName))")
        }
        return path
    }

    /// This executable's path: /proc/self/exe where there is one, else argv[0].
    private static func ownPath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        guard length > 0 else { return CommandLine.arguments.first ?? "fmdb" }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension FMDB {
    /// `fmdb serve`, listed for `fmdb --help`: the command line goes to `fmdb-server serve`.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve a directory of collections over HTTP (runs fmdb-server; `fmdb serve --help` for its options).")

        @Argument(parsing: .allUnrecognized, help: "The arguments fmdb-server serve takes.")
        var arguments: [String] = []

        func run() throws { try ServerForwarding.exec(["serve"] + arguments) }
    }

    /// `fmdb cluster`, listed for `fmdb --help`: the command line goes to `fmdb-server cluster`.
    struct Cluster: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster",
            abstract: "Show and change a cluster's membership and shard placement (runs fmdb-server; `fmdb cluster --help`).")

        @Argument(parsing: .allUnrecognized, help: "The arguments fmdb-server cluster takes.")
        var arguments: [String] = []

        func run() throws { try ServerForwarding.exec(["cluster"] + arguments) }
    }
}
