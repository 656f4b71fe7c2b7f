import Foundation
import Testing

/// `GET /dashboard`: the embedded page, with headers that keep a browser from loading anything
/// else. The page's behaviour in a browser is tools/dashboard-e2e's (headless Chromium).
struct DashboardRouteTests {
    @Test func pageIsServedWholeWithAPolicyForbiddingOutsideLoads() async throws {
        try await withServer { _, client in
            let reply = try await client.get("/dashboard")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(reply.headers.first(name: "Cache-Control") == "no-store")
            let policy = reply.headers.first(name: "Content-Security-Policy") ?? ""
            #expect(policy.hasPrefix("default-src 'none';"), "\(policy)")
            #expect(policy.contains("connect-src 'self'"), "\(policy)")
            #expect(!policy.contains("http"), "no outside origin allowed: \(policy)")
            // compiled in by tools/embed-dashboard: the file's text
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("dashboard/index.html")
            if let source = try? String(contentsOf: file, encoding: .utf8) {
                #expect(reply.text.trimmingCharacters(in: .whitespacesAndNewlines) == source.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            // self-contained: the SVG namespace is the one URL in it, and nothing names a source
            #expect(!reply.text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
            #expect(!reply.text.contains("src="))
        }
    }
}
