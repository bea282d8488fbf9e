import GatewayCore
import Hummingbird

/// The signed-in person's own account: profile (name, email) and password.
struct AccountController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.account), use: show)
        group.post(RouterPath(SitePaths.account), use: saveProfile)
        group.post(RouterPath(SitePaths.accountPassword), use: changePassword)
        group.post(RouterPath(SitePaths.emailChangeCancellation), use: cancelEmailChange)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await page(context)
    }

    /// The name is saved at once; a new email waits for its confirmation link (see `ProfileService`).
    @Sendable func saveProfile(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        do {
            // A post without an email field changes only the name.
            let saved = try await services.profiles.save(
                of: identity.user, name: context.form.text("name"), email: context.form["email"] ?? identity.user.email.value,
                mailVia: identity.tenant?.companyID, ip: context.clientIP)
            guard case .confirmationSent(let link) = saved else {
                return .redirect(to: SitePaths.account, flash: .profileSaved, cookies: services.cookies)
            }
            if services.logsInvitationLinks {
                services.logger.notice("Email confirmation link (development only; no mailer is configured): \(link)")
            }
            return .redirect(to: SitePaths.account, flash: .emailChangeRequested, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return try await page(context, form: context.form, errors: errors, status: .unprocessableContent)
        } catch let throttled as TooManyAttempts {
            var response = try await page(
                context, form: context.form, errors: FieldErrors("email", AuthController.waitMessage(throttled.retryAfterSeconds)),
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(throttled.retryAfterSeconds)
            return response
        }
    }

    @Sendable func cancelEmailChange(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await services.profiles.cancelEmailChange(of: try context.signedInIdentity().user.id)
        return .redirect(to: SitePaths.account, flash: .emailChangeCancelled, cookies: services.cookies)
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
            return try await page(context, errors: errors, status: .unprocessableContent)
        } catch let throttled as TooManyAttempts {
            var response = try await page(
                context, errors: FieldErrors("current_password", AuthController.waitMessage(throttled.retryAfterSeconds)),
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(throttled.retryAfterSeconds)
            return response
        }
    }

    private func page(
        _ context: ConsoleRequestContext, form: FormFields? = nil, errors: FieldErrors = FieldErrors(), status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let identity = try context.signedInIdentity()
        return services.renderer.render(
            AccountPage.make(
                identity: identity, pendingEmailChange: try await services.profiles.pendingEmailChange(of: identity.user.id),
                hasPassword: try await services.accounts.users.hasPassword(identity.user.id), form: form, errors: errors,
                chrome: services.renderer.chrome(context, path: SitePaths.account)),
            status: status)
    }
}
