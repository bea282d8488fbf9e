import Foundation
import GatewayCore
import Hummingbird

/// Members, roles and invitations of the active company; the audit log.
/// Role checks happen in GatewayCore (AccessPolicy): too low a role is a 403 from there.
struct MembersController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.members), use: list)
        group.post(RouterPath(SitePaths.invitations), use: invite)
        group.post("/company/invitations/:id/revoke", use: revokeInvitation)
        group.post("/company/members/:id/role", use: changeRole)
        group.post("/company/members/:id/remove", use: remove)
        group.get(RouterPath(SitePaths.audit), use: auditLog)
    }

    @Sendable func list(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await page(context, after: KeysetCursor(request.uri.queryParameters, key: "after"))
    }

    @Sendable func invite(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        do {
            let link = try await services.memberships.invite(
                email: context.form.text("email"), role: context.form.text("role"), by: tenant, ip: context.clientIP)
            if services.logsInvitationLinks {
                services.logger.notice("Invitation link (development only; no mailer is configured): \(link)")
            }
            return try await page(context, createdLink: link, createdFor: EmailAddress(context.form.text("email"))?.value)
        } catch let errors as FieldErrors {
            return try await page(context, form: context.form, errors: errors, status: .unprocessableContent)
        }
    }

    @Sendable func revokeInvitation(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await services.memberships.revokeInvitation(try pathID(context), by: try context.tenant(), ip: context.clientIP)
        return .redirect(to: SitePaths.members, flash: .invitationRevoked, cookies: services.cookies)
    }

    @Sendable func changeRole(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        do {
            try await services.memberships.changeRole(
                of: try pathID(context), to: context.form.text("role"), by: tenant, ip: context.clientIP)
            return .redirect(to: SitePaths.members, flash: .roleChanged, cookies: services.cookies)
        } catch is LastOwner {
            return .redirect(to: SitePaths.members, flash: .lastOwner, cookies: services.cookies)
        }
    }

    @Sendable func remove(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        do {
            let userID = try pathID(context)
            try await services.integrations.revokingGrants(of: userID, in: tenant) {
                try await services.memberships.remove(userID, by: tenant, ip: context.clientIP)
            }
            return .redirect(to: SitePaths.members, flash: .memberRemoved, cookies: services.cookies)
        } catch is LastOwner {
            return .redirect(to: SitePaths.members, flash: .lastOwner, cookies: services.cookies)
        }
    }

    @Sendable func auditLog(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let before = KeysetCursor(request.uri.queryParameters, key: "before")
        let pageSize = 50
        // One more than a page tells whether an older page exists.
        let events = try await services.audit.events(for: tenant, before: before, limit: pageSize + 1)
        return services.renderer.render(
            AuditPage.make(events: events, pageSize: pageSize, chrome: services.renderer.chrome(context, path: SitePaths.audit)))
    }

    /// A malformed id is simply an object that does not exist here.
    private func pathID(_ context: ConsoleRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        return id
    }

    /// One page of members (from `after`, or the first), the count, the pending invitations and the form.
    private func page(
        _ context: ConsoleRequestContext, after: KeysetCursor? = nil, form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(),
        createdLink: String? = nil, createdFor: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let tenant = try context.tenant()
        // One more than a page tells whether another page follows.
        async let members = services.memberships.members(of: tenant, after: after, limit: MembersPage.pageSize + 1)
        async let count = services.memberships.memberCount(of: tenant)
        async let invitations = services.memberships.pendingInvitations(of: tenant)
        return services.renderer.render(
            MembersPage.make(
                tenant: tenant, members: try await members, count: try await count, isFirstPage: after == nil,
                invitations: try await invitations, form: form, errors: errors, createdLink: createdLink, createdFor: createdFor,
                chrome: services.renderer.chrome(context, path: SitePaths.members)),
            status: status)
    }
}
