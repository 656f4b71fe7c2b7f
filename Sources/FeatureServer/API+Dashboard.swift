import Hummingbird

extension API {
    /// `GET /dashboard`: the live dashboard page, dashboard/index.html compiled in (DashboardPage).
    /// It draws its charts from `GET /dashboard/data`, which it asks for every 2 s.
    func registerDashboard(on router: Router<BasicRequestContext>) {
        router.get("/dashboard") { _, _ in
            guard metrics != nil else { throw APIError.notFound("metrics are off (fmdb serve --no-metrics)") }
            return Response(status: .ok, headers: API.dashboardHeaders, body: .init(byteBuffer: API.dashboardPage))
        }
    }

    /// The page, encoded once; responses share its storage.
    static let dashboardPage = ByteBuffer(string: DashboardPage.html)

    /// The page runs only its own inline script and style and talks only to this server: a
    /// browser that honours the policy loads nothing from elsewhere (no scripts, fonts, images),
    /// and no other site may frame it. no-store: a new binary's page is seen at once.
    static let dashboardHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
    ]
}
