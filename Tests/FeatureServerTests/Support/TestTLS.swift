import Foundation
import NIOSSL

/// TLS for the tests: a self-signed certificate made with openssl, and a client that accepts it.
enum TestTLS {
    /// A client configuration that skips certificate verification: the server's certificate is
    /// self-signed, made a moment ago.
    static var trustingAnyCertificate: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    /// The openssl binary, when installed.
    static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Makes a self-signed certificate for CN=127.0.0.1 and its key in `directory`; returns their paths.
    static func selfSignedCertificate(in directory: URL) throws -> (certificate: String, key: String) {
        guard let openssl else { throw ServerFailure("openssl is not installed") }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
            "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ServerFailure("openssl req exited \(process.terminationStatus)") }
        return (certificate, key)
    }
}
