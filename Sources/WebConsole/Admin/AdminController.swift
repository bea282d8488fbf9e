import GatewayCore
import Hummingbird

/// The platform operator's console.
struct AdminController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.admin), use: overview)
        group.get(RouterPath(SitePaths.adminModels), use: models)
        group.post("/admin/models/:id", use: updateModel)
        group.get(RouterPath(SitePaths.adminMaintenance), use: maintenance)
    }

    @Sendable func overview(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        let companies = try await services.memberships.allCompanies(for: identity.user)
        return services.renderer.render(
            AdminPage.make(companies: companies, chrome: services.renderer.chrome(context, path: SitePaths.admin)))
    }

    @Sendable func maintenance(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let limit = 50
        let runs = try await services.maintenance.recentRuns(for: try context.signedInIdentity().user, limit: limit)
        return services.renderer.render(
            MaintenancePage.make(runs: runs, limit: limit, chrome: services.renderer.chrome(context, path: SitePaths.adminMaintenance)))
    }

    @Sendable func models(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await modelsPage(context)
    }

    @Sendable func updateModel(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        guard let id = context.parameters.get("id") else { throw NotFound() }
        let form = context.form
        do {
            try await services.models.update(
                id, inputDollarsPerMillion: form.text("input_price"), outputDollarsPerMillion: form.text("output_price"),
                isActive: form.text("active") == "on", fallback: form.text("fallback_model"), by: identity.user)
            return .redirect(to: SitePaths.adminModels, flash: .pricesSaved, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return try await modelsPage(context, form: form, failedModel: id, errors: errors, status: .unprocessableContent)
        }
    }

    private func modelsPage(
        _ context: ConsoleRequestContext, form: FormFields? = nil, failedModel: String? = nil, errors: FieldErrors = FieldErrors(),
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let table = try await services.models.priceTable(for: try context.signedInIdentity().user)
        return services.renderer.render(
            ModelsPage.make(
                table: table, form: form, failedModel: failedModel, errors: errors,
                chrome: services.renderer.chrome(context, path: SitePaths.adminModels)),
            status: status)
    }
}
