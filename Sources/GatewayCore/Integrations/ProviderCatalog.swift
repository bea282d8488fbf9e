import Foundation

/// The services a member can connect.
public enum ProviderID: String, Sendable, CaseIterable, Codable {
    case google, github, gitlab, yandex

    public var displayName: String {
        switch self {
        case .google: "Google"
        case .github: "GitHub"
        case .gitlab: "GitLab"
        case .yandex: "Yandex"
        }
    }

    /// The prefix of this provider's `OAG_<P>_*` variables.
    public var environmentPrefix: String { "OAG_\(rawValue.uppercased())_" }
}

/// A scope a provider grants, in words a member understands.
public struct ProviderScope: Sendable, Equatable {
    /// The provider's own name for it, as sent in `scope`.
    public var value: String
    public var description: String
}

/// A scope a member may choose to add, under the short name the connect form posts.
public struct OptionalScope: Sendable, Equatable {
    public var key: String
    public var scope: ProviderScope
}

/// The four endpoints of a provider.
public struct ProviderEndpoints: Sendable, Equatable {
    public var authorize: String
    public var token: String
    public var revoke: String
    public var userinfo: String

    public init(authorize: String, token: String, revoke: String, userinfo: String) {
        self.authorize = authorize
        self.token = token
        self.revoke = revoke
        self.userinfo = userinfo
    }
}

/// What a provider's userinfo answer looks like.
public enum IdentityFormat: Sendable {
    /// OpenID Connect userinfo: `sub`, `email`, `email_verified`, `name` (Google, GitLab).
    case openIDConnect
    /// api.github.com/user: numeric `id`, `login`, `name`, maybe `email`; verified emails at /user/emails.
    case github
    /// login.yandex.ru/info: `id`, `login`, `default_email`, `real_name`; wants `Authorization: OAuth`.
    case yandex
}

/// How a provider's access tokens are renewed.
public enum RefreshBehaviour: Sendable {
    /// Tokens do not expire and come without a refresh token (GitHub OAuth apps).
    case none
    /// The refresh token stays valid and only a new access token comes back (Google).
    case keepsRefreshToken
    /// Every refresh returns a new pair and ends the old refresh token (GitLab, Yandex).
    case rotatesRefreshToken
}

/// How a provider takes a token back.
public enum RevocationStyle: Sendable {
    /// POST `token=…` form (RFC 7009); the client authenticates with id and secret when `authenticated`.
    case tokenForm(authenticated: Bool)
    /// DELETE /applications/{client_id}/token with Basic auth and `{"access_token"}` (GitHub): this
    /// token only, so the same GitHub account connected in another company keeps working.
    case githubToken
    /// POST `access_token=…` with client credentials; only device-bound tokens (Yandex).
    case yandexDevice
}

/// One provider, declared once: where its endpoints are, what it grants, and how it behaves.
public struct ProviderDefinition: Sendable {
    public var id: ProviderID
    public var endpoints: ProviderEndpoints
    /// Asked for on every connection: enough to know whose account it is.
    public var defaultScopes: [ProviderScope]
    /// A member may add these on the connect form.
    public var optionalScopes: [OptionalScope]
    /// Asked for when signing in with the provider; nil when it does not offer sign-in here.
    public var signInScopes: [String]?
    public var scopeSeparator: String
    public var supportsPKCE: Bool
    public var identityFormat: IdentityFormat
    public var refresh: RefreshBehaviour
    public var revocation: RevocationStyle
    /// Extra query parameters of a connection's authorize request (not of signing in, which keeps nothing).
    public var connectParameters: [(String, String)]
    /// Added when no working refresh token is stored: Google issues one only on a fresh consent.
    public var reconsentParameters: [(String, String)] = []
    /// Other origins the consent screen may redirect through (a login page), which the CSP must allow.
    public var consentOrigins: [String] = []

    /// Plain words for a granted scope; a scope the catalog does not know is shown as it is.
    public func describe(scope: String) -> String {
        let known = defaultScopes + optionalScopes.map(\.scope)
        return known.first { $0.value == scope }?.description ?? scope
    }

    /// Granted scopes as the catalog lists them (default ones first); unknown ones last.
    public func inCatalogOrder(_ scopes: [String]) -> [String] {
        let order = (defaultScopes + optionalScopes.map(\.scope)).map(\.value)
        return scopes.sorted { (order.firstIndex(of: $0) ?? order.count) < (order.firstIndex(of: $1) ?? order.count) }
    }

    public func optionalScope(key: String) -> OptionalScope? {
        optionalScopes.first { $0.key == key }
    }
}

extension ProviderDefinition {
    /// The providers' real, current endpoints and parameters.
    public static func standard(_ id: ProviderID) -> ProviderDefinition {
        switch id {
        case .google: google
        case .github: github
        case .gitlab: gitlab
        case .yandex: yandex
        }
    }

    static let google = ProviderDefinition(
        id: .google,
        endpoints: ProviderEndpoints(
            authorize: "https://accounts.google.com/o/oauth2/v2/auth",
            token: "https://oauth2.googleapis.com/token",
            revoke: "https://oauth2.googleapis.com/revoke",
            userinfo: "https://openidconnect.googleapis.com/v1/userinfo"),
        defaultScopes: [
            ProviderScope(value: "openid", description: "Know which Google account this is"),
            ProviderScope(value: "email", description: "See the account's email address"),
        ],
        // The narrowest scope for each feature: Gmail scopes are restricted, Drive gets only files used with OAG.
        optionalScopes: [
            OptionalScope(
                key: "gmail",
                scope: ProviderScope(
                    value: "https://www.googleapis.com/auth/gmail.readonly", description: "Read your Gmail messages (not send or delete)")),
            OptionalScope(
                key: "drive",
                scope: ProviderScope(
                    value: "https://www.googleapis.com/auth/drive.file", description: "Only the Drive files you open or create with OAG")),
            OptionalScope(
                key: "docs",
                scope: ProviderScope(value: "https://www.googleapis.com/auth/documents.readonly", description: "Read your Google Docs")),
            OptionalScope(
                key: "sheets",
                scope: ProviderScope(
                    value: "https://www.googleapis.com/auth/spreadsheets.readonly", description: "Read your Google Sheets")),
        ],
        signInScopes: ["openid", "email", "profile"],
        scopeSeparator: " ",
        supportsPKCE: true,
        identityFormat: .openIDConnect,
        refresh: .keepsRefreshToken,
        revocation: .tokenForm(authenticated: false),
        // Offline access gives a refresh token; granted scopes accumulate, so adding one asks only for it.
        connectParameters: [("access_type", "offline"), ("include_granted_scopes", "true")],
        reconsentParameters: [("prompt", "consent")])

    static let github = ProviderDefinition(
        id: .github,
        endpoints: ProviderEndpoints(
            authorize: "https://github.com/login/oauth/authorize",
            token: "https://github.com/login/oauth/access_token",
            // The client appends /{client_id}/token.
            revoke: "https://api.github.com/applications",
            userinfo: "https://api.github.com/user"),
        defaultScopes: [
            ProviderScope(value: "read:user", description: "Read your GitHub profile"),
            ProviderScope(value: "user:email", description: "See your email addresses"),
        ],
        optionalScopes: [],
        signInScopes: ["read:user", "user:email"],
        scopeSeparator: " ",
        supportsPKCE: true,
        identityFormat: .github,
        refresh: .none,
        revocation: .githubToken,
        connectParameters: [])

    static let gitlab = ProviderDefinition(
        id: .gitlab,
        endpoints: ProviderEndpoints(
            authorize: "https://gitlab.com/oauth/authorize",
            token: "https://gitlab.com/oauth/token",
            revoke: "https://gitlab.com/oauth/revoke",
            userinfo: "https://gitlab.com/oauth/userinfo"),
        defaultScopes: [
            ProviderScope(value: "openid", description: "Know which GitLab account this is"),
            ProviderScope(value: "email", description: "See the account's email address"),
        ],
        optionalScopes: [],
        signInScopes: nil,
        scopeSeparator: " ",
        supportsPKCE: true,
        identityFormat: .openIDConnect,
        refresh: .rotatesRefreshToken,
        revocation: .tokenForm(authenticated: true),
        connectParameters: [])

    static let yandex = ProviderDefinition(
        id: .yandex,
        endpoints: ProviderEndpoints(
            authorize: "https://oauth.yandex.ru/authorize",
            token: "https://oauth.yandex.ru/token",
            revoke: "https://oauth.yandex.ru/revoke_token",
            userinfo: "https://login.yandex.ru/info"),
        defaultScopes: [
            ProviderScope(value: "login:info", description: "Read your Yandex profile"),
            ProviderScope(value: "login:email", description: "See your email address"),
        ],
        optionalScopes: [],
        signInScopes: nil,
        scopeSeparator: " ",
        supportsPKCE: true,
        identityFormat: .yandex,
        refresh: .rotatesRefreshToken,
        revocation: .yandexDevice,
        connectParameters: [("device_name", "OAG")],
        // Someone not signed in to Yandex passes through its login page.
        consentOrigins: ["https://passport.yandex.ru"])
}

/// A provider as this installation configured it: its definition with any endpoint overrides,
/// and the OAuth app's credentials. Without credentials it is listed but cannot be used.
public struct ConfiguredProvider: Sendable {
    public var definition: ProviderDefinition
    public var credentials: OAuthClientCredentials?

    public var id: ProviderID { definition.id }
    public var endpoints: ProviderEndpoints { definition.endpoints }
    public var isConfigured: Bool { credentials != nil }
}

/// An OAuth app's client id and secret.
public struct OAuthClientCredentials: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: String

    public init(clientID: String, clientSecret: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}

/// What `OAG_<P>_*` says about one provider.
public struct ProviderSettings: Sendable, Equatable {
    public var credentials: OAuthClientCredentials?
    public var authorizeURL: String?
    public var tokenURL: String?
    public var revokeURL: String?
    public var userinfoURL: String?

    public init(
        credentials: OAuthClientCredentials? = nil, authorizeURL: String? = nil, tokenURL: String? = nil, revokeURL: String? = nil,
        userinfoURL: String? = nil
    ) {
        self.credentials = credentials
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.revokeURL = revokeURL
        self.userinfoURL = userinfoURL
    }
}

/// Every provider of this installation, in display order.
public struct ProviderCatalog: Sendable {
    public let providers: [ConfiguredProvider]

    public init(settings: [ProviderID: ProviderSettings]) {
        providers = ProviderID.allCases.map { id in
            var definition = ProviderDefinition.standard(id)
            let configured = settings[id] ?? ProviderSettings()
            definition.endpoints = ProviderEndpoints(
                authorize: configured.authorizeURL ?? definition.endpoints.authorize,
                token: configured.tokenURL ?? definition.endpoints.token,
                revoke: configured.revokeURL ?? definition.endpoints.revoke,
                userinfo: configured.userinfoURL ?? definition.endpoints.userinfo)
            return ConfiguredProvider(definition: definition, credentials: configured.credentials)
        }
    }

    public subscript(id: ProviderID) -> ConfiguredProvider {
        providers.first { $0.id == id } ?? ConfiguredProvider(definition: .standard(id), credentials: nil)
    }

    /// Origins the browser is sent to after a form post; the CSP's `form-action` must allow them.
    public var authorizeOrigins: [String] {
        var origins: [String] = []
        for provider in providers where provider.isConfigured {
            guard let url = URL(string: provider.endpoints.authorize), let scheme = url.scheme, let host = url.host else { continue }
            let origin = "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
            for candidate in [origin] + provider.definition.consentOrigins where !origins.contains(candidate) {
                origins.append(candidate)
            }
        }
        return origins
    }
}
