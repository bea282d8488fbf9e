import GatewayCore
import Hummingbird

/// The company's own LLM provider keys and allowed models, for admins and owners.
struct ProvidersController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.companyProviders), use: show)
        group.post(RouterPath(SitePaths.companyProviders), use: save)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await page(context)
    }

    @Sendable func save(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let form = context.form
        guard let provider = LLMProvider(rawValue: form.text("provider")) else {
            throw HTTPError(.badRequest, message: "Choose one of OpenAI, Anthropic or DeepSeek.")
        }
        do {
            try await services.companyProviders.save(
                CompanyProviderForm(
                    provider: provider, apiKey: form.text("api_key"), removeKey: form.text("remove_key") == "on",
                    allowedModels: form.all("allowed_models"), isEnabled: form.text("enabled") == "on"),
                by: tenant, models: try await services.models.all(), ip: context.clientIP)
            return .redirect(to: SitePaths.companyProviders, flash: .providersSaved, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return try await page(context, errors: errors, failedProvider: provider, status: .unprocessableContent)
        }
    }

    private func page(
        _ context: ConsoleRequestContext, errors: FieldErrors = FieldErrors(), failedProvider: LLMProvider? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let tenant = try context.tenant()
        return services.renderer.render(
            ProvidersPage.make(
                tenant: tenant, settings: try await services.companyProviders.settings(of: tenant), models: try await services.models.all(),
                errors: errors, failedProvider: failedProvider, chrome: services.renderer.chrome(context, path: SitePaths.companyProviders)),
            status: status)
    }
}
