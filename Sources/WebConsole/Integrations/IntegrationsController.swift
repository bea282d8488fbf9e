import GatewayCore
import Hummingbird

/// "My Integrations": connect, check and disconnect a member's provider accounts; and the
/// company view of who connected what.
struct IntegrationsController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.integrations), use: list)
        group.post("/account/integrations/{provider}/connect", use: connect)
        group.get("/account/integrations/{provider}/callback", use: callback)
        group.post("/account/integrations/{provider}/check", use: check)
        group.post("/account/integrations/{provider}/disconnect", use: disconnect)
        group.get(RouterPath(SitePaths.companyIntegrations), use: company)
    }

    private var integrations: IntegrationService { services.integrations }

    @Sendable func list(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await page(context)
    }

    @Sendable func connect(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let provider = try Self.provider(context)
        do {
            let url = try await integrations.startConnection(
                tenant, provider: provider, scopeKeys: context.form.all("scopes"), binding: context.csrfToken)
            return .redirect(to: url, type: .normal)
        } catch let errors as FieldErrors {
            return try await page(context, scopesError: (provider, errors["scopes"] ?? ""), status: .unprocessableContent)
        } catch let error as OAuthError {
            return try await page(context, notice: Notice(message: error.message, isError: true), status: Self.status(of: error))
        }
    }

    @Sendable func callback(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let provider = try Self.provider(context)
        do {
            _ = try await integrations.completeConnection(
                tenant, provider: provider, callback: Self.callback(request), binding: context.csrfToken, ip: context.clientIP)
            return .redirect(to: SitePaths.integrations, flash: .integrationConnected, cookies: services.cookies)
        } catch let error as OAuthError {
            return try await page(context, notice: Notice(message: error.message, isError: true), status: Self.status(of: error))
        }
    }

    @Sendable func check(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        let tenant = try context.tenant()
        do {
            _ = try await integrations.check(tenant, provider: try Self.provider(context), session: identity.session.tokenHash)
            return .redirect(to: SitePaths.integrations, flash: .integrationChecked, cookies: services.cookies)
        } catch let error as OAuthError {
            return try await page(context, notice: Notice(message: error.message, isError: true), status: Self.status(of: error))
        }
    }

    @Sendable func disconnect(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let revocation = try await integrations.disconnect(tenant, provider: try Self.provider(context), ip: context.clientIP)
        let flash: Flash = revocation == .revoked ? .integrationDisconnected : .integrationDisconnectedUnconfirmed
        return .redirect(to: SitePaths.integrations, flash: flash, cookies: services.cookies)
    }

    @Sendable func company(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let connections = try await integrations.companyConnections(of: tenant)
        return services.renderer.render(
            CompanyIntegrationsPage.make(
                tenant: tenant, connections: connections, chrome: services.renderer.chrome(context, path: SitePaths.companyIntegrations)))
    }

    private func page(
        _ context: ConsoleRequestContext, notice: Notice? = nil, scopesError: (ProviderID, String)? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let identity = try context.signedInIdentity()
        let tenant = try context.tenant()
        let connections = try await integrations.connections(of: tenant)
        let checks = integrations.cache.checks(session: identity.session.tokenHash, companyID: tenant.companyID)
        return services.renderer.render(
            IntegrationsPage.make(
                tenant: tenant, connections: connections, checks: checks, notice: notice, scopesError: scopesError,
                chrome: services.renderer.chrome(context, path: SitePaths.integrations)),
            status: status)
    }

    /// The `{provider}` of the path; anything else is a page that does not exist.
    static func provider(_ context: ConsoleRequestContext) throws -> ProviderID {
        guard let raw = context.parameters.get("provider"), let provider = ProviderID(rawValue: raw) else { throw NotFound() }
        return provider
    }

    static func callback(_ request: Request) -> OAuthCallback {
        let query = request.uri.queryParameters
        return OAuthCallback(
            code: query.get("code"), state: query.get("state"), error: query.get("error"))
    }

    /// Mistakes of the visitor are 4xx; a provider that fails is a bad gateway, or a timeout.
    static func status(of error: OAuthError) -> HTTPResponse.Status {
        switch error {
        case .notConfigured, .tokenRejected, .accountUsesAnotherSignIn: .conflict
        case .stateInvalid, .accessDenied, .callbackError, .unverifiedEmail: .badRequest
        case .invalidGrant, .rejected, .unavailable, .malformedResponse: .badGateway
        case .timedOut: .gatewayTimeout
        }
    }
}
