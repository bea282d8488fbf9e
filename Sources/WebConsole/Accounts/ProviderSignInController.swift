import Foundation
import GatewayCore
import Hummingbird

/// Sign-in (and sign-up) with Google or GitHub.
struct ProviderSignInController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get("/auth/{provider}/start", use: start)
        group.get("/auth/{provider}/callback", use: callback)
    }

    @Sendable func start(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        if context.identity != nil { return .redirect(to: SitePaths.dashboard) }
        let provider = try IntegrationsController.provider(context)
        do {
            return .redirect(to: try await services.providerSignIn.start(provider, binding: context.csrfToken), type: .normal)
        } catch let error as OAuthError {
            return logInPage(
                context, notice: Notice(message: error.message, isError: true), status: IntegrationsController.status(of: error))
        }
    }

    @Sendable func callback(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let provider = try IntegrationsController.provider(context)
        do {
            let outcome = try await services.providerSignIn.complete(
                provider, callback: IntegrationsController.callback(request), binding: context.csrfToken, ip: context.clientIP)
            switch outcome {
            case .signedIn(let user):
                let company = try await services.memberships.memberships(of: user.id).first?.companyID
                return try await signedIn(user.id, company: company, flash: .signedIn, context: context)
            case .signedUp(let user, let companyID):
                return try await signedIn(user.id, company: companyID, flash: .welcome, context: context)
            case .needsPasswordToLink(let email, let provider):
                let message =
                    "An OAG account already uses \(email). Sign in with its password once to link your \(provider.displayName) account; "
                    + "after that, \(provider.displayName) signs you in."
                return logInPage(context, email: email, notice: Notice(message: message, isError: false), status: .ok)
            }
        } catch let error as OAuthError {
            return logInPage(
                context, notice: Notice(message: error.message, isError: true), status: IntegrationsController.status(of: error))
        }
    }

    private func signedIn(_ userID: UUID, company: UUID?, flash: Flash, context: ConsoleRequestContext) async throws -> Response {
        let cookie = try await services.startSession(
            for: userID, company: company, replacing: context.identity?.session, ip: context.clientIP)
        var response = Response.redirect(to: SitePaths.dashboard, flash: flash, cookies: services.cookies)
        response.setCookie(cookie)
        return response
    }

    private func logInPage(_ context: ConsoleRequestContext, email: String = "", notice: Notice, status: HTTPResponse.Status) -> Response {
        services.renderer.render(
            LogInPage.make(
                email: email, next: nil, notice: notice, providers: services.providerSignIn.available,
                chrome: services.renderer.chrome(context, path: SitePaths.logIn)),
            status: status)
    }
}
