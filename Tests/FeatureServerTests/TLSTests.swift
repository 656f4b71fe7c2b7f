import Foundation
import Testing

/// `--tls-cert/--tls-key`: HTTPS with a self-signed certificate made by openssl in the test.
@Suite(.enabled(if: TestTLS.openssl != nil, "openssl is not installed: the TLS tests need it to make a certificate"))
struct TLSTests {
    @Test func servesHTTPSWithTheGivenCertificate() async throws {
        let scratch = try TemporaryDirectory()
        let (certificate, key) = try TestTLS.selfSignedCertificate(in: scratch.url)
        try await withServer(["--tls-cert", certificate, "--tls-key", key], tls: true) { server, client in
            #expect(server.url.hasPrefix("https://127.0.0.1:"), "\(server.url)")
            #expect(try await client.get("/healthz").status == 200)
            try await client.createCollection("c", dimension: 3)
            try await client.upsert("c", [WirePoint(id: 1, vector: [1, 2, 3], label: "tls")])
            #expect(try await client.point("c", 1) == WirePoint(id: 1, vector: [1, 2, 3], label: "tls"))

            // plain HTTP on the TLS port gets no HTTP answer
            let plain = try RawConnection(port: server.port)
            plain.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let (data, _) = plain.receive(timeout: .seconds(5))
            #expect(!String(decoding: data, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(try await client.get("/healthz").status == 200, "still serving HTTPS after a plain-text client")
        }
    }

    @Test func aBadCertificateOrKeyStopsTheStartWithOneLine() async throws {
        let scratch = try TemporaryDirectory()
        let (certificate, key) = try TestTLS.selfSignedCertificate(in: scratch.url)
        let garbage = scratch.url.appendingPathComponent("garbage.pem").path
        try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let directory = scratch.url.appendingPathComponent("dir").path
        for (cert, privateKey) in [(garbage, key), (certificate, garbage), (scratch.url.appendingPathComponent("absent.pem").path, key)] {
            let run = try await ServerProcess.runToExit(["serve", directory, "--port", "0", "--tls-cert", cert, "--tls-key", privateKey])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(!run.stdout.contains("listening"))
        }
        let alone = try await ServerProcess.runToExit(["serve", directory, "--port", "0", "--tls-cert", certificate])
        #expect(alone.status == 64, "a certificate without a key is a usage error: \(alone.stderr)")
    }
}
