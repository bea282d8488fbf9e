import Foundation
import GatewayCore
import Hummingbird

/// `/dashboard`, and switching the active company.
struct DashboardController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.dashboard), use: show)
        group.post(RouterPath(SitePaths.switchCompany), use: switchCompany)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        let tenant = try context.tenant()
        let memberCount = AccessPolicy.allows(tenant.role, .viewMembers) ? try await services.memberships.memberCount(of: tenant) : nil
        let connections = try await services.integrations.connections(of: tenant)
        let usage = try await services.usageReports.memberReport(tenant, range: try UsageRange(from: nil, to: nil))
        return services.renderer.render(
            DashboardPage.make(
                identity: identity, tenant: tenant, memberCount: memberCount, connections: connections, monthUsage: usage.totals,
                chrome: services.renderer.chrome(context, path: SitePaths.dashboard)))
    }

    /// The active company is part of the session; changing it starts a new session (new id).
    @Sendable func switchCompany(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        guard let target = UUID(uuidString: context.form.text("company_id")),
            identity.memberships.contains(where: { $0.companyID == target })
        else { throw NotFound() }
        let cookie = try await services.startSession(
            for: identity.user.id, company: target, replacing: identity.session, ip: context.clientIP)
        var response = Response.redirect(to: SitePaths.dashboard, flash: .companySwitched, cookies: services.cookies)
        response.setCookie(cookie)
        return response
    }
}
