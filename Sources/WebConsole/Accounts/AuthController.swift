import GatewayCore
import Hummingbird

/// Sign-up, sign-in and sign-out.
struct AuthController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.signUp), use: signUpForm)
        group.post(RouterPath(SitePaths.signUp), use: signUp)
        group.get(RouterPath(SitePaths.logIn), use: logInForm)
        group.post(RouterPath(SitePaths.logIn), use: logIn)
        group.post(RouterPath(SitePaths.logOut), use: logOut)
    }

    @Sendable func signUpForm(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        if context.identity != nil { return .redirect(to: SitePaths.dashboard) }
        return services.renderer.render(SignUpPage.make(chrome: chrome(context, SitePaths.signUp)))
    }

    @Sendable func signUp(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let form = context.form
        let input = SignUpForm(
            email: form.text("email"), password: form.text("password"), name: form.text("name"), companyName: form.text("company_name"))
        do {
            let (user, companyID) = try await services.accounts.signUp(input, ip: context.clientIP)
            let cookie = try await services.startSession(
                for: user.id, company: companyID, replacing: context.identity?.session, ip: context.clientIP)
            var response = Response.redirect(to: SitePaths.dashboard, flash: .welcome, cookies: services.cookies)
            response.setCookie(cookie)
            return response
        } catch let errors as FieldErrors {
            return services.renderer.render(
                SignUpPage.make(form: form, errors: errors, chrome: chrome(context, SitePaths.signUp)), status: .unprocessableContent)
        } catch let throttled as TooManyAttempts {
            var response = services.renderer.render(
                SignUpPage.make(
                    form: form, errors: FieldErrors("email", Self.waitMessage(throttled.retryAfterSeconds)),
                    chrome: chrome(context, SitePaths.signUp)),
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(throttled.retryAfterSeconds)
            return response
        }
    }

    @Sendable func logInForm(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let next = request.uri.queryParameters.get("next")
        if context.identity != nil { return .redirect(to: SitePaths.safeNext(next)) }
        return services.renderer.render(
            LogInPage.make(next: next, providers: services.providerSignIn.available, chrome: chrome(context, SitePaths.logIn)))
    }

    @Sendable func logIn(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let email = context.form.text("email")
        let next = context.form["next"]
        switch try await services.accounts.signIn(email: email, password: context.form.text("password"), ip: context.clientIP) {
        case .signedIn(let user):
            let company = try await services.memberships.memberships(of: user.id).first?.companyID
            let cookie = try await services.startSession(
                for: user.id, company: company, replacing: context.identity?.session, ip: context.clientIP)
            let start = SitePaths.start(isOperator: user.isOperator, hasCompany: company != nil)
            let destination = start == SitePaths.admin ? start : SitePaths.safeNext(next)
            // A provider account waiting in this browser for its owner to confirm is linked now.
            let linked = try await services.providerSignIn.completeLink(for: user, binding: context.csrfToken, ip: context.clientIP)
            var response = Response.redirect(
                to: destination, flash: linked == nil ? .signedIn : .signInMethodLinked, cookies: services.cookies)
            response.setCookie(cookie)
            return response
        case .invalid:
            return services.renderer.render(
                LogInPage.make(
                    email: email, next: next, error: "The email or password is not right.", providers: services.providerSignIn.available,
                    chrome: chrome(context, SitePaths.logIn)),
                status: .unauthorized)
        case .throttled(let seconds):
            var response = services.renderer.render(
                LogInPage.make(
                    email: email, next: next, error: Self.waitMessage(seconds), providers: services.providerSignIn.available,
                    chrome: chrome(context, SitePaths.logIn)),
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
    }

    @Sendable func logOut(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        if let session = context.identity?.session {
            try await services.sessions.end(tokenHash: session.tokenHash)
            services.integrations.cache.forget(session: session.tokenHash)
        }
        var response = Response.redirect(to: SitePaths.logIn, flash: .signedOut, cookies: services.cookies)
        response.setCookie(services.cookies.expired(services.cookies.sessionName))
        return response
    }

    static func waitMessage(_ seconds: Int) -> String {
        let minutes = max(1, (seconds + 59) / 60)
        return "Too many failed attempts. Wait \(minutes) minute\(minutes == 1 ? "" : "s") and try again."
    }

    private func chrome(_ context: ConsoleRequestContext, _ path: String) -> PageChrome {
        services.renderer.chrome(context, path: path)
    }
}
