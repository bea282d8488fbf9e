import Foundation
import Logging
import PostgresNIO

/// Connecting, using and disconnecting a member's accounts at the providers. Every method takes
/// the acting tenant first and works on that member's own integrations in that company only.
public struct IntegrationService: Sendable {
    /// An access token this close to expiry is refreshed before use.
    static let refreshMargin: TimeInterval = 60

    let database: Database
    let vault: Vault
    let client: OAuthClient
    public let catalog: ProviderCatalog
    let states: OAuthStateStore
    let audit: AuditLog
    public let cache: ProviderDataCache
    let baseURL: String
    let repository: IntegrationRepository

    public init(
        database: Database, vault: Vault, client: OAuthClient, catalog: ProviderCatalog, cache: ProviderDataCache, baseURL: String
    ) {
        self.database = database
        self.vault = vault
        self.client = client
        self.catalog = catalog
        self.states = OAuthStateStore(database: database)
        self.audit = AuditLog(database: database)
        self.cache = cache
        self.baseURL = baseURL
        self.repository = IntegrationRepository(logger: database.logger)
    }

    private var logger: Logger { database.logger }

    /// Registered with each provider's OAuth app, exactly (RFC 9700).
    public func redirectURI(_ provider: ProviderID) -> String {
        "\(baseURL)/account/integrations/\(provider.rawValue)/callback"
    }

    // MARK: - Reading

    /// Every provider of the catalog with this member's integration, if any.
    public func connections(of tenant: Tenant) async throws -> [ProviderConnection] {
        let mine = try await database.withTenant(tenant.companyID) { connection in
            try await repository.list(companyID: tenant.companyID, userID: tenant.userID, on: connection)
        }
        return catalog.providers.map { provider in
            ProviderConnection(provider: provider, integration: mine.first { $0.provider == provider.id })
        }
    }

    /// Who in the company has connected what; for admins and owners.
    public func companyConnections(of tenant: Tenant) async throws -> [MemberConnection] {
        try tenant.require(.viewMembers)
        return try await database.withTenant(tenant.companyID) { connection in
            try await repository.listCompany(companyID: tenant.companyID, on: connection)
        }
    }

    // MARK: - Connecting

    /// Stores a single-use state and returns the provider's consent URL.
    ///
    /// `scopeKeys` are the optional scopes the member ticked. Google remembers what was granted
    /// (`include_granted_scopes`), so only scopes not granted yet are asked for.
    public func startConnection(_ tenant: Tenant, provider id: ProviderID, scopeKeys: [String], binding: String) async throws -> String {
        let provider = catalog[id]
        guard provider.isConfigured else { throw OAuthError.notConfigured }
        var chosen: [String] = []
        for key in scopeKeys {
            guard let optional = provider.definition.optionalScope(key: key) else {
                let offered = provider.definition.optionalScopes.map(\.key)
                throw FieldErrors(
                    "scopes",
                    offered.isEmpty
                        ? "\(id.displayName) has no optional permissions to choose."
                        : "Choose among: \(offered.joined(separator: ", ")).")
            }
            if !chosen.contains(optional.scope.value) { chosen.append(optional.scope.value) }
        }
        let stored = try await database.withTenant(tenant.companyID) { connection in
            try await repository.find(companyID: tenant.companyID, userID: tenant.userID, provider: id, on: connection)
        }
        let existing = stored?.0
        let granted = existing?.status == .connected ? existing?.scopes ?? [] : []
        let scopes = provider.definition.defaultScopes.map(\.value) + chosen.filter { !granted.contains($0) }
        let pkce = provider.definition.supportsPKCE ? PKCE() : nil
        // Yandex revokes only device-bound tokens; a connection keeps its device id across reconnects.
        let deviceID = id == .yandex ? existing?.deviceID ?? "oag-" + UUID().uuidString.lowercased() : nil
        let state = try await states.create(
            OAuthState(
                purpose: .connect, provider: id, userID: tenant.userID, companyID: tenant.companyID, codeVerifier: pkce?.verifier ?? "",
                requestedScopes: scopes, deviceID: deviceID),
            binding: binding)
        // Without a working refresh token here, ask for a fresh consent: Google sends one only then,
        // and an earlier grant (sign-in, another company) would otherwise be approved silently.
        let hasWorkingRefresh = existing?.status == .connected && stored?.1.refresh != nil
        return try client.authorizeURL(
            provider, redirectURI: redirectURI(id), state: state, scopes: scopes, pkce: pkce, deviceID: deviceID,
            parameters: provider.definition.connectParameters + (hasWorkingRefresh ? [] : provider.definition.reconsentParameters))
    }

    /// Finishes a connection on the way back from the provider. Either the tokens are sealed and
    /// stored, or nothing is written.
    public func completeConnection(_ tenant: Tenant, provider id: ProviderID, callback: OAuthCallback, binding: String, ip: String?)
        async throws -> Integration
    {
        let provider = catalog[id]
        let state = try await states.consume(callback.state, binding: binding, provider: id, purpose: .connect)
        guard state.userID == tenant.userID, state.companyID == tenant.companyID else { throw OAuthError.stateInvalid }
        let code = try callback.authorizationCode()
        let grant = try await client.exchange(
            provider, code: code, redirectURI: redirectURI(id), verifier: state.codeVerifier.isEmpty ? nil : state.codeVerifier,
            deviceID: state.deviceID)
        let account = try await client.account(provider, accessToken: grant.accessToken)
        // Two callbacks at once both find no row; the second insert loses and then reconnects the first's row.
        for attempt in 1...2 {
            do {
                let (integration, replaced) = try await store(grant, account: account, state: state, tenant: tenant, ip: ip)
                if let replaced { await revoke(replaced) }
                return integration
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && attempt == 1 {
                continue
            }
        }
        throw OAuthError.stateInvalid
    }

    /// Seals and stores a new grant; returns the integration and, when the member switched to
    /// another account at this provider, the old grant to revoke once this has committed.
    private func store(_ grant: TokenGrant, account: ProviderAccount, state: OAuthState, tenant: Tenant, ip: String?) async throws -> (
        Integration, DetachedGrant?
    ) {
        try await database.withTenant(tenant.companyID) { connection in
            let existing = try await repository.find(
                companyID: tenant.companyID, userID: tenant.userID, provider: state.provider, lock: true, on: connection)
            let sameAccount = existing?.0.accountID == account.id
            let integration = Integration(
                id: existing?.0.id ?? UUID(), companyID: tenant.companyID, userID: tenant.userID, provider: state.provider,
                accountID: account.id, accountLabel: account.label, scopes: grant.scopes ?? state.requestedScopes,
                accessExpiresAt: grant.expiresAt, deviceID: state.deviceID, status: .connected, connectedAt: Date())
            var replaced: DetachedGrant?
            if let (old, sealed) = existing, !sameAccount {
                replaced = await detach(old, sealed: sealed, on: connection)
                try await repository.delete(old, on: connection)
            }
            let tokens = try await seal(grant, for: integration, on: connection)
            if sameAccount {
                try await repository.reconnect(integration, tokens: tokens, on: connection)
            } else {
                try await repository.insert(integration, tokens: tokens, on: connection)
            }
            try await audit.record(
                .integrationConnected, companyID: tenant.companyID, actor: tenant.userID, detail: state.provider.displayName, ip: ip,
                on: connection)
            return (integration, replaced)
        }
    }

    // MARK: - Using

    /// Calls the provider's identity endpoint with the member's token (refreshed first when it is
    /// about to expire) and keeps the answer in this session's in-memory cache only.
    public func check(_ tenant: Tenant, provider id: ProviderID, session: Data) async throws -> ProviderCheck {
        let provider = catalog[id]
        guard provider.isConfigured else { throw OAuthError.notConfigured }
        let (integration, accessToken) = try await usableToken(tenant, provider: provider)
        let account: ProviderAccount
        do {
            account = try await client.account(provider, accessToken: accessToken)
        } catch OAuthError.tokenRejected {
            try await markNeedsReconnect(integration)
            throw OAuthError.tokenRejected
        }
        try await database.withTenant(tenant.companyID) { connection in
            try await repository.touch(integration, on: connection)
        }
        let check = ProviderCheck(provider: id, account: account, fetchedAt: Date())
        cache.store(check, session: session, companyID: tenant.companyID, userID: tenant.userID)
        return check
    }

    /// The member's access token, refreshed first when it expires within a minute. The row lock
    /// makes concurrent requests (on any node) wait for one refresh and then use its result,
    /// which matters where refresh tokens rotate and a second refresh would be refused.
    func usableToken(_ tenant: Tenant, provider: ConfiguredProvider) async throws -> (Integration, String) {
        enum Outcome: Sendable {
            case token(Integration, String)
            /// The provider refused the refresh token, or the sealed tokens do not open here.
            case unusable(Integration)
        }
        let outcome = try await database.withTenant(tenant.companyID) { connection -> Outcome in
            guard
                let (integration, sealed) = try await repository.find(
                    companyID: tenant.companyID, userID: tenant.userID, provider: provider.id, lock: true, on: connection)
            else { throw NotFound() }
            guard integration.status == .connected else { throw OAuthError.tokenRejected }
            let access: String
            var refreshToken: String?
            do {
                access = try await open(sealed.access, of: integration, column: "access_token", on: connection)
                refreshToken = try await sealed.refresh.asyncMap {
                    try await open($0, of: integration, column: "refresh_token", on: connection)
                }
            } catch let error as VaultError {
                // Altered, moved, or sealed under a destroyed key: never used, and the member is asked to reconnect.
                logger.error(
                    "Sealed tokens of an integration do not open", metadata: ["integration": "\(integration.id)", "error": "\(error)"])
                return .unusable(integration)
            }
            guard let expiresAt = integration.accessExpiresAt, expiresAt.timeIntervalSinceNow < Self.refreshMargin, let refreshToken
            else { return .token(integration, access) }
            let grant: TokenGrant
            do {
                grant = try await client.refresh(provider, refreshToken: refreshToken)
            } catch OAuthError.invalidGrant {
                return .unusable(integration)
            }
            try await repository.updateTokens(
                integration, tokens: try await seal(grant, for: integration, on: connection), expiresAt: grant.expiresAt, on: connection)
            return .token(integration, grant.accessToken)
        }
        switch outcome {
        case .token(let integration, let token):
            return (integration, token)
        case .unusable(let integration):
            try await markNeedsReconnect(integration)
            throw OAuthError.tokenRejected
        }
    }

    private func markNeedsReconnect(_ integration: Integration) async throws {
        try await database.withTenant(integration.companyID) { connection in
            try await repository.setStatus(.needsReconnect, of: integration, on: connection)
            try await audit.record(
                .integrationNeedsReconnect, companyID: integration.companyID, actor: nil, detail: integration.provider.displayName,
                ip: nil, on: connection)
        }
        cache.forget(provider: integration.provider, companyID: integration.companyID, userID: integration.userID)
    }

    // MARK: - Disconnecting

    /// What happened at the provider when a member disconnected.
    public enum Revocation: Sendable, Equatable {
        case revoked
        case failed(OAuthError)
    }

    /// Revokes the grant at the provider, then deletes the tokens and the row whatever the
    /// provider said; a failed revocation is logged and reported, never a reason to keep tokens.
    public func disconnect(_ tenant: Tenant, provider id: ProviderID, ip: String?) async throws -> Revocation {
        let grant = try await database.withTenant(tenant.companyID) { connection in
            guard
                let (integration, sealed) = try await repository.find(
                    companyID: tenant.companyID, userID: tenant.userID, provider: id, on: connection)
            else { throw NotFound() }
            return await detach(integration, sealed: sealed, on: connection)
        }
        let revocation = await revoke(grant)
        try await database.withTenant(tenant.companyID) { connection in
            try await repository.delete(grant.integration, on: connection)
            let detail = id.displayName + (revocation == .revoked ? "" : " (the provider did not confirm the revocation)")
            try await audit.record(
                .integrationDisconnected, companyID: tenant.companyID, actor: tenant.userID, detail: detail, ip: ip, on: connection)
        }
        cache.forget(provider: id, companyID: tenant.companyID, userID: tenant.userID)
        return revocation
    }

    /// Runs `removal` (taking a member out of the company, which deletes their integrations with the
    /// membership), then revokes at the providers the grants that member had connected.
    public func revokingGrants(of userID: UUID, in tenant: Tenant, around removal: () async throws -> Void) async throws {
        try tenant.require(.removeMembers)
        let grants = try await database.withTenant(tenant.companyID) { connection in
            var grants: [DetachedGrant] = []
            for (integration, sealed) in try await repository.findAll(companyID: tenant.companyID, userID: userID, on: connection) {
                grants.append(await detach(integration, sealed: sealed, on: connection))
            }
            return grants
        }
        try await removal()
        for grant in grants {
            await revoke(grant)
            cache.forget(provider: grant.integration.provider, companyID: tenant.companyID, userID: userID)
        }
    }

    /// Revokes at the providers every grant a person connected in a company, for a deletion
    /// request; the deletion itself then deletes the rows. Revoking twice (a resumed job) is harmless.
    func revokeAll(of userID: UUID, in companyID: UUID) async throws -> (revoked: Int, unconfirmed: Int) {
        let grants = try await database.withTenant(companyID) { connection in
            var grants: [DetachedGrant] = []
            for (integration, sealed) in try await repository.findAll(companyID: companyID, userID: userID, on: connection) {
                grants.append(await detach(integration, sealed: sealed, on: connection))
            }
            return grants
        }
        var outcome = (revoked: 0, unconfirmed: 0)
        for grant in grants {
            if await revoke(grant) == .revoked { outcome.revoked += 1 } else { outcome.unconfirmed += 1 }
            cache.forget(provider: grant.integration.provider, companyID: companyID, userID: userID)
        }
        return outcome
    }

    /// An integration's tokens, opened, on their way out.
    struct DetachedGrant: Sendable {
        var integration: Integration
        var accessToken: String?
        var refreshToken: String?
    }

    /// Tokens that no longer open (a destroyed key, an altered row) are deleted all the same.
    private func detach(_ integration: Integration, sealed: SealedTokens, on connection: PostgresConnection) async -> DetachedGrant {
        let access = try? await open(sealed.access, of: integration, column: "access_token", on: connection)
        let refresh = try? await sealed.refresh.asyncMap { try await open($0, of: integration, column: "refresh_token", on: connection) }
        return DetachedGrant(integration: integration, accessToken: access, refreshToken: refresh ?? nil)
    }

    @discardableResult
    private func revoke(_ grant: DetachedGrant) async -> Revocation {
        let provider = catalog[grant.integration.provider]
        do throws(OAuthError) {
            guard let access = grant.accessToken else { throw .malformedResponse }
            try await client.revoke(provider, accessToken: access, refreshToken: grant.refreshToken)
            return .revoked
        } catch {
            logger.warning(
                "Revocation at provider failed; the tokens are deleted anyway",
                metadata: ["provider": "\(provider.id.rawValue)", "error": "\(error)"])
            return .failed(error)
        }
    }

    // MARK: - Sealing

    private func seal(_ grant: TokenGrant, for integration: Integration, on connection: PostgresConnection) async throws -> SealedTokens {
        let access = try await vault.seal(
            Data(grant.accessToken.utf8), at: location(integration, "access_token"), companyID: integration.companyID, on: connection)
        var refresh: Data?
        if let token = grant.refreshToken {
            refresh = try await vault.seal(
                Data(token.utf8), at: location(integration, "refresh_token"), companyID: integration.companyID, on: connection)
        }
        return SealedTokens(access: access, refresh: refresh)
    }

    private func open(_ sealed: Data, of integration: Integration, column: String, on connection: PostgresConnection) async throws -> String
    {
        String(
            decoding: try await vault.open(sealed, at: location(integration, column), companyID: integration.companyID, on: connection),
            as: UTF8.self)
    }

    private func location(_ integration: Integration, _ column: String) -> SecretLocation {
        SecretLocation(table: "integrations", rowID: integration.id.uuidString.lowercased(), column: column)
    }
}

/// The query of a provider's redirect back to OAG.
public struct OAuthCallback: Sendable {
    public var code: String?
    public var state: String?
    public var error: String?

    public init(code: String?, state: String?, error: String?) {
        self.code = code
        self.state = state
        self.error = error
    }

    /// The authorization code, or why there is none.
    func authorizationCode() throws(OAuthError) -> String {
        if let error { throw error == "access_denied" ? OAuthError.accessDenied : OAuthError.callbackError(code: OAuthError.code(error)) }
        guard let code, !code.isEmpty, code.utf8.count <= 2048 else { throw .callbackError(code: "missing_code") }
        return code
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
