import GatewayCore
import Hummingbird

/// `/invitations/{token}`: an invitee joins, with a new account or the one they have.
struct InvitationController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get("/invitations/:token", use: show)
        group.post("/invitations/:token", use: accept)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let (token, details) = try await invitation(context)
        return try await render(token, details, context)
    }

    @Sendable func accept(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let (token, details) = try await invitation(context)
        do {
            let user: User
            let membership: Membership
            if let identity = context.identity {
                user = identity.user
                membership = try await services.memberships.accept(token: token, user: user, ip: context.clientIP)
            } else {
                (user, membership) = try await services.memberships.acceptAsNewAccount(
                    token: token, name: context.form.text("name"), password: context.form.text("password"), hasher: services.hasher,
                    ip: context.clientIP)
            }
            let cookie = try await services.startSession(
                for: user.id, company: membership.companyID, replacing: context.identity?.session, ip: context.clientIP)
            var response = Response.redirect(to: SitePaths.dashboard, flash: .invitationAccepted, cookies: services.cookies)
            response.setCookie(cookie)
            return response
        } catch let errors as FieldErrors {
            return try await render(token, details, context, form: context.form, errors: errors, status: .unprocessableContent)
        }
    }

    private func invitation(_ context: ConsoleRequestContext) async throws -> (String, InvitationDetails) {
        guard let token = context.parameters.get("token"), let details = try await services.memberships.invitation(token: token) else {
            throw NotFound()
        }
        return (token, details)
    }

    private func render(
        _ token: String, _ details: InvitationDetails, _ context: ConsoleRequestContext, form: FormFields = FormFields(),
        errors: FieldErrors = FieldErrors(), status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let hasAccount = context.identity == nil ? try await services.accounts.users.exists(details.email) : true
        return services.renderer.render(
            InvitationPage.make(
                token: token, details: details, identity: context.identity, emailHasAccount: hasAccount, form: form, errors: errors,
                chrome: services.renderer.chrome(context, path: "")),
            status: status)
    }
}
