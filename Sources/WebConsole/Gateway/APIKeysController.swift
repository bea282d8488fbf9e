import Foundation
import GatewayCore
import Hummingbird

/// Gateway API keys of the active company: made and revoked by admins and owners.
struct APIKeysController {
    let services: ConsoleServices
    let baseURL: String

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.apiKeys), use: list)
        group.post(RouterPath(SitePaths.apiKeys), use: create)
        group.post("/company/api-keys/:id/revoke", use: revoke)
    }

    @Sendable func list(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await page(context)
    }

    /// The secret is in this response only: the page is rendered, not redirected to.
    @Sendable func create(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let form = context.form
        do {
            let created = try await services.apiKeys.create(
                APIKeyForm(
                    name: form.text("name"), allowedModels: form.all("allowed_models"),
                    monthlyTokenBudget: form.text("monthly_token_budget"),
                    monthlySpendBudgetDollars: form.text("monthly_spend_budget"), requestsPerMinute: form.text("requests_per_minute")),
                by: tenant, models: try await services.models.all(), ip: context.clientIP)
            return try await page(context, created: created, status: .created)
        } catch let errors as FieldErrors {
            return try await page(context, form: form, errors: errors, status: .unprocessableContent)
        }
    }

    @Sendable func revoke(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        try await services.apiKeys.revoke(id, by: try context.tenant(), ip: context.clientIP)
        return .redirect(to: SitePaths.apiKeys, flash: .apiKeyRevoked, cookies: services.cookies)
    }

    private func page(
        _ context: ConsoleRequestContext, form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(),
        created: (APIKey, String)? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let tenant = try context.tenant()
        let keys = try await services.apiKeys.keys(of: tenant)
        return services.renderer.render(
            APIKeysPage.make(
                tenant: tenant, keys: keys, models: try await services.models.all(), baseURL: baseURL, form: form, errors: errors,
                created: created, chrome: services.renderer.chrome(context, path: SitePaths.apiKeys)),
            status: status)
    }
}
