import GatewayCore
import Hummingbird

/// The signed-in person's own account: profile and password.
struct AccountController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.account), use: show)
        group.post(RouterPath(SitePaths.account), use: saveProfile)
        group.post(RouterPath(SitePaths.accountPassword), use: changePassword)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        return services.renderer.render(AccountPage.make(identity: identity, chrome: chrome(context)))
    }

    @Sendable func saveProfile(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        do {
            try await services.accounts.rename(identity.user, to: context.form.text("name"))
            return .redirect(to: SitePaths.account, flash: .profileSaved, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return services.renderer.render(
                AccountPage.make(identity: identity, form: context.form, errors: errors, chrome: chrome(context)),
                status: .unprocessableContent)
        }
    }

    /// Asks for the current password, ends every other session, and gives this one a new id.
    @Sendable func changePassword(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        do {
            try await services.accounts.changePassword(
                of: identity.user, current: context.form.text("current_password"), new: context.form.text("new_password"),
                ip: context.clientIP)
            try await services.sessions.endAll(of: identity.user.id, keeping: nil)
            let cookie = try await services.startSession(
                for: identity.user.id, company: identity.tenant?.companyID, replacing: nil, ip: context.clientIP)
            var response = Response.redirect(to: SitePaths.account, flash: .passwordChanged, cookies: services.cookies)
            response.setCookie(cookie)
            return response
        } catch let errors as FieldErrors {
            return services.renderer.render(
                AccountPage.make(identity: identity, errors: errors, chrome: chrome(context)), status: .unprocessableContent)
        }
    }

    private func chrome(_ context: ConsoleRequestContext) -> PageChrome {
        services.renderer.chrome(context, path: SitePaths.account)
    }
}
