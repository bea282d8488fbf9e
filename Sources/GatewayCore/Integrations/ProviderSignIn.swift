import Foundation
import Logging
import PostgresNIO

/// How signing in with a provider ended.
public enum ProviderSignInOutcome: Sendable {
    /// The provider account was already linked to this user.
    case signedIn(User)
    /// A new account and company were made for a new person.
    case signedUp(User, companyID: UUID)
    /// An OAG account already has this email: its owner must sign in with their password once to link it.
    case needsPasswordToLink(email: String, provider: ProviderID)
}

/// Sign-in with Google or GitHub. Only the provider's account id is kept (no tokens): a provider
/// account signs in the user it is linked to, and links to an existing account only when the
/// provider reports the same verified email and the owner confirms by signing in with their password.
public struct ProviderSignIn: Sendable {
    let database: Database
    let client: OAuthClient
    let catalog: ProviderCatalog
    let states: OAuthStateStore
    let users: UserRepository
    let audit: AuditLog
    let baseURL: String

    public init(database: Database, client: OAuthClient, catalog: ProviderCatalog, baseURL: String) {
        self.database = database
        self.client = client
        self.catalog = catalog
        self.states = OAuthStateStore(database: database)
        self.users = UserRepository(database: database)
        self.audit = AuditLog(database: database)
        self.baseURL = baseURL
    }

    public func redirectURI(_ provider: ProviderID) -> String {
        "\(baseURL)/auth/\(provider.rawValue)/callback"
    }

    /// The providers offered on the sign-in page: those that offer sign-in and are configured.
    public var available: [ProviderID] {
        catalog.providers.filter { $0.isConfigured && $0.definition.signInScopes != nil }.map(\.id)
    }

    public func start(_ id: ProviderID, binding: String) async throws -> String {
        let provider = catalog[id]
        guard let scopes = provider.definition.signInScopes else { throw NotFound() }
        guard provider.isConfigured else { throw OAuthError.notConfigured }
        let pkce = PKCE()
        let state = try await states.create(
            OAuthState(purpose: .signIn, provider: id, codeVerifier: pkce.verifier, requestedScopes: scopes), binding: binding)
        return try client.authorizeURL(provider, redirectURI: redirectURI(id), state: state, scopes: scopes, pkce: pkce, deviceID: nil)
    }

    public func complete(_ id: ProviderID, callback: OAuthCallback, binding: String, ip: String?) async throws -> ProviderSignInOutcome {
        let provider = catalog[id]
        guard provider.definition.signInScopes != nil else { throw NotFound() }
        let state = try await states.consume(callback.state, binding: binding, provider: id, purpose: .signIn)
        let grant = try await client.exchange(
            provider, code: try callback.authorizationCode(), redirectURI: redirectURI(id), verifier: state.codeVerifier, deviceID: nil)
        let account = try await client.account(provider, accessToken: grant.accessToken)
        guard account.emailVerified, let rawEmail = account.email, let email = EmailAddress(rawEmail) else {
            throw OAuthError.unverifiedEmail
        }

        if let linked = try await linkedUser(provider: id, subject: account.id) {
            try await audit.recordForAllCompanies(of: linked.id, .signedIn, actor: linked.id, detail: id.displayName, ip: ip)
            return .signedIn(linked)
        }
        if let existing = try await users.find(email: email) {
            // Linking is confirmed by the account's password; an account without one cannot confirm.
            guard try await users.passwordHash(of: existing.id) != nil else { throw OAuthError.accountUsesAnotherSignIn }
            _ = try await states.consumeLink(binding: binding)
            _ = try await states.create(
                OAuthState(purpose: .link, provider: id, subject: account.id, email: email.value), binding: binding)
            return .needsPasswordToLink(email: email.value, provider: id)
        }
        return try await signUp(account: account, email: email, provider: id, ip: ip)
    }

    /// After a password sign-in in the same browser, links the provider account waiting for it,
    /// if its email is this user's. Returns the provider that was linked.
    public func completeLink(for user: User, binding: String, ip: String?) async throws -> ProviderID? {
        guard let pending = try await states.consumeLink(binding: binding), pending.email == user.email.value, let subject = pending.subject
        else { return nil }
        let inserted = try await database.query(
            """
            INSERT INTO external_identities (provider, subject, user_id, email)
            VALUES (\(pending.provider.rawValue), \(subject), \(user.id), \(user.email.value))
            ON CONFLICT DO NOTHING
            RETURNING 1
            """)
        guard !inserted.isEmpty else { return nil }
        try await audit.recordForAllCompanies(
            of: user.id, .signInMethodLinked, actor: user.id, detail: pending.provider.displayName, ip: ip)
        return pending.provider
    }

    private func linkedUser(provider: ProviderID, subject: String) async throws -> User? {
        try await database.query(
            """
            SELECT \(unescaped: UserRepository.columns) FROM users
            WHERE id = (SELECT user_id FROM external_identities WHERE provider = \(provider.rawValue) AND subject = \(subject))
            """
        ).first.map(UserRepository.user)
    }

    /// A new person: their account (without a password), a company they own, and the link, at once.
    private func signUp(account: ProviderAccount, email: EmailAddress, provider: ProviderID, ip: String?) async throws
        -> ProviderSignInOutcome
    {
        let name = Self.displayName(account.name ?? account.login ?? "", fallback: String(email.value.prefix { $0 != "@" }))
        let user = User(id: UUID(), email: email, name: name, isOperator: false, createdAt: Date())
        let companyID = UUID()
        let companyName = Self.displayName(
            "\(name)’s company", fallback: "My company", maximumLength: Company.maximumNameLength)
        do {
            try await database.withTenant(companyID) { connection in
                try await users.insert(user, passwordHash: nil, on: connection)
                try await connection.rows("INSERT INTO companies (id, name) VALUES (\(companyID), \(companyName))", logger: database.logger)
                try await connection.rows(
                    "INSERT INTO memberships (company_id, user_id, role) VALUES (\(companyID), \(user.id), 'owner')",
                    logger: database.logger)
                try await connection.rows(
                    """
                    INSERT INTO external_identities (provider, subject, user_id, email)
                    VALUES (\(provider.rawValue), \(account.id), \(user.id), \(email.value))
                    """, logger: database.logger)
                try await audit.record(
                    .signedUp, companyID: companyID, actor: user.id, detail: provider.displayName, ip: ip, on: connection)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // The same person finished a second sign-in at the same moment; the first one made the account.
            throw OAuthError.stateInvalid
        }
        return .signedUp(user, companyID: companyID)
    }

    /// A provider's name for the person, if it passes our rules for names; otherwise the fallback.
    static func displayName(_ candidate: String, fallback: String, maximumLength: Int = PersonName.maximumLength) -> String {
        let trimmed = String(candidate.trimmingCharacters(in: .whitespacesAndNewlines).prefix(maximumLength))
        return DisplayName.problem(with: trimmed, whenEmpty: "", maximumLength: maximumLength) == nil ? trimmed : fallback
    }
}
