import GatewayCore
import Hummingbird

/// The platform operator's console.
struct AdminController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.admin), use: overview)
    }

    @Sendable func overview(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        let companies = try await services.memberships.allCompanies(for: identity.user)
        return services.renderer.render(
            AdminPage.make(companies: companies, chrome: services.renderer.chrome(context, path: SitePaths.admin)))
    }
}
