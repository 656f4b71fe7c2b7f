import Hummingbird

extension API {
    /// `GET /dashboard/data`: the samples the dashboard page charts.
    func registerDashboardData(on router: Router<BasicRequestContext>) {
        router.get("/dashboard/data") { _, _ in
            guard let dashboard else { throw APIError.notFound("metrics are off (fmdb serve --no-metrics)") }
            var response = try API.json(dashboard.answer)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}
