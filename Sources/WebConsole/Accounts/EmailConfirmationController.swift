import GatewayCore
import Hummingbird

/// `/account/email/confirm/{token}`: the link sent to a new email. Opening it shows a button;
/// only posting applies the change, and only for the user the link was sent to.
struct EmailConfirmationController {
    static let invalidLink =
        "This confirmation link does not work: it may have expired (links last 24 hours), been used, been replaced by a newer "
        + "request, or be meant for another account. Ask for the change again on your account page."

    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get("/account/email/confirm/:token", use: show)
        group.post("/account/email/confirm/:token", use: confirm)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let (token, change) = try await pendingChange(context)
        return services.renderer.render(
            EmailConfirmationPage.make(user: try context.signedInIdentity().user, change: change, token: token, chrome: chrome(context)))
    }

    /// Applies the change, ends every other session, and gives this one a new id.
    @Sendable func confirm(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        let (token, change) = try await pendingChange(context)
        do {
            _ = try await services.profiles.confirmEmailChange(
                token: token, for: identity.user, mailVia: identity.tenant?.companyID, ip: context.clientIP)
        } catch is NotFound {
            throw HTTPError(.notFound, message: Self.invalidLink)
        } catch let refused as EmailChangeRefused {
            return services.renderer.render(
                EmailConfirmationPage.make(
                    user: identity.user, change: change, token: token, refusal: refused.reason, chrome: chrome(context)),
                status: .conflict)
        }
        try await services.sessions.endAll(of: identity.user.id, keeping: nil)
        let cookie = try await services.startSession(
            for: identity.user.id, company: identity.tenant?.companyID, replacing: nil, ip: context.clientIP)
        var response = Response.redirect(to: SitePaths.account, flash: .emailChanged, cookies: services.cookies)
        response.setCookie(cookie)
        return response
    }

    private func pendingChange(_ context: ConsoleRequestContext) async throws -> (String, PendingEmailChange) {
        guard let token = context.parameters.get("token"),
            let change = try await services.profiles.emailChange(token: token, for: try context.signedInIdentity().user)
        else { throw HTTPError(.notFound, message: Self.invalidLink) }
        return (token, change)
    }

    private func chrome(_ context: ConsoleRequestContext) -> PageChrome {
        services.renderer.chrome(context, path: SitePaths.account)
    }
}
