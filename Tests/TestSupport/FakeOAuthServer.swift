import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A provider the fake impersonates, each under `/<rawValue>` of the fake's base URL.
public enum FakeProvider: String, Sendable, CaseIterable { case google, github, gitlab, yandex }

public enum FakeEndpointKind: String, Sendable { case authorize, token, revoke, userinfo }

/// Absolute URLs of one impersonated provider, to configure the app under test with.
public struct FakeEndpoints: Sendable {
    public let authorize, token, revoke, userinfo: String
}

/// The account that "consents" at a provider's fake consent screen.
public struct FakeAccount: Sendable {
    /// Google `sub`, GitHub numeric id (emitted as a JSON number), GitLab `sub`, Yandex `id`.
    public var id: String
    public var email: String
    public var emailVerified: Bool
    public var name: String
    /// GitHub login, Yandex login, GitLab nickname.
    public var login: String

    public init(id: String, email: String, emailVerified: Bool = true, name: String = "Test Person", login: String = "tester") {
        self.id = id
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.login = login
    }
}

public enum FakeFailure: Sendable, Equatable {
    /// The provider's own "this grant is no good" answer (GitHub: HTTP 200 with `bad_verification_code`).
    case invalidGrant
    /// HTTP 500 with an HTML body.
    case serverError
    /// HTTP 200, `Content-Type: application/json`, body `{not json`.
    case malformedJSON
    /// Answers only after 30 s (with a 500), so the app's own timeout must fire first.
    case hang
}

/// One request as the fake received it.
public struct FakeRequest: Sendable {
    public let method: String
    public let path: String
    public let query: [String: String]
    /// Lower-cased names; repeated fields joined with ", ".
    public let headers: [String: String]
    /// The application/x-www-form-urlencoded body, if any.
    public let form: [String: String]
    /// Top-level string fields of a JSON body, if any.
    public let json: [String: String]
}

/// An in-process OAuth 2.0 provider for tests: Google, GitHub, GitLab and Yandex at once, each under its own path
/// prefix and speaking that provider's wire format, so the app under test can be pointed at it instead of the real ones.
/// Every instance is independent, so tests running in parallel each start their own.
public final class FakeOAuthServer: Sendable {
    public let baseURL: String
    public let clientID: String
    public let clientSecret: String
    private let engine: Engine
    private let task: Task<Void, any Error>

    private init(port: Int, engine: Engine, task: Task<Void, any Error>) {
        baseURL = "http://127.0.0.1:\(port)"
        clientID = engine.clientID
        clientSecret = engine.clientSecret
        self.engine = engine
        self.task = task
    }

    deinit { task.cancel() }

    public static func start() async throws -> FakeOAuthServer {
        let engine = Engine(clientID: "fake-client-id", clientSecret: "fake-client-secret")
        let router = Router()
        engine.addRoutes(to: router)
        var logger = Logger(label: "FakeOAuthServer")
        // Shutdown cancels the server, which Hummingbird logs as an error; a failure to start is thrown anyway.
        logger.logLevel = .critical
        let (ports, portReady) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portReady.yield(port) }
                portReady.finish()
            },
            logger: logger)
        let task = Task {
            defer { portReady.finish() }
            try await app.run()
        }
        for await port in ports {
            return FakeOAuthServer(port: port, engine: engine, task: task)
        }
        // The server ended before it listened: its error says why.
        try await task.value
        throw FakeServerError(description: "the fake OAuth server stopped before it listened")
    }

    public func shutdown() async {
        task.cancel()
        _ = await task.result
    }

    public func endpoints(_ provider: FakeProvider) -> FakeEndpoints {
        let root = baseURL + "/" + provider.rawValue
        switch provider {
        case .google:
            return FakeEndpoints(
                authorize: root + "/authorize", token: root + "/token", revoke: root + "/revoke", userinfo: root + "/userinfo")
        case .github:
            // Like https://api.github.com/applications: the client appends /{client_id}/grant.
            return FakeEndpoints(
                authorize: root + "/authorize", token: root + "/login/oauth/access_token", revoke: root + "/applications",
                userinfo: root + "/user")
        case .gitlab:
            return FakeEndpoints(
                authorize: root + "/authorize", token: root + "/oauth/token", revoke: root + "/oauth/revoke",
                userinfo: root + "/oauth/userinfo")
        case .yandex:
            return FakeEndpoints(
                authorize: root + "/authorize", token: root + "/token", revoke: root + "/revoke_token", userinfo: root + "/info")
        }
    }

    /// Who consents from now on; tokens already issued keep the account they were issued for.
    public func setAccount(_ account: FakeAccount, for provider: FakeProvider) {
        precondition(provider != .github || Int(account.id) != nil, "GitHub account ids are numbers")
        engine.state.withLock { $0.accounts[provider] = account }
    }

    /// Plays the user at the consent screen: GETs `authorizeURL` (which must be on this fake), and returns the
    /// `Location` the fake redirected to (the app's redirect_uri with code & state, or error=access_denied & state).
    /// `grantOnly`: the user unticks some scopes — the code grants only these (Google granular consent).
    /// A browser that GETs the authorize URL itself consents to everything requested.
    public func consent(to authorizeURL: String, deny: Bool = false, grantOnly: [String]? = nil) async throws -> String {
        guard authorizeURL.hasPrefix(baseURL + "/") else {
            throw FakeServerError(description: "\(authorizeURL) is not on this fake OAuth server (\(baseURL))")
        }
        var request = HTTPClientRequest(url: authorizeURL)
        if deny { request.headers.add(name: Engine.denyHeader, value: "1") }
        if let grantOnly { request.headers.add(name: Engine.grantOnlyHeader, value: grantOnly.joined(separator: " ")) }
        // The redirect goes to the app, which the "browser" must not visit here.
        let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let outcome: Result<String, any Error>
        do {
            let response = try await browser.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            if response.status == .found, let location = response.headers.first(name: "Location") {
                outcome = .success(location)
            } else {
                outcome = .failure(FakeServerError(description: "consent screen answered \(response.status.code): \(String(buffer: body))"))
            }
        } catch {
            outcome = .failure(error)
        }
        try await browser.shutdown()
        return try outcome.get()
    }

    /// The next request to that endpoint of that provider fails this way; later ones behave again.
    public func failNext(_ failure: FakeFailure, at endpoint: FakeEndpointKind, of provider: FakeProvider) {
        engine.state.withLock { $0.failures[EndpointKey(provider: provider, kind: endpoint)] = failure }
    }

    /// While down, every endpoint of the provider answers 503 at once.
    public func setDown(_ down: Bool, provider: FakeProvider) {
        engine.state.withLock { state in
            if down { state.down.insert(provider) } else { state.down.remove(provider) }
        }
    }

    /// Every access token issued so far now fails userinfo with 401 (refresh tokens still work).
    public func expireAccessTokens(of provider: FakeProvider) {
        engine.state.withLock { state in
            for (value, token) in state.tokens where token.provider == provider && token.kind == .access {
                state.tokens[value]?.expired = true
            }
        }
    }

    public func requests(_ provider: FakeProvider, _ endpoint: FakeEndpointKind) -> [FakeRequest] {
        engine.state.withLock { $0.requests[EndpointKey(provider: provider, kind: endpoint)] ?? [] }
    }

    /// Issued and neither revoked nor rotated away (expiry by `expireAccessTokens` does not count).
    public func isLive(accessToken: String) -> Bool {
        engine.state.withLock { $0.tokens[accessToken].map { $0.kind == .access && $0.live } ?? false }
    }

    public func isLive(refreshToken: String) -> Bool {
        engine.state.withLock { $0.tokens[refreshToken].map { $0.kind == .refresh && $0.live } ?? false }
    }

    /// In the order they were issued.
    public func issuedAccessTokens(_ provider: FakeProvider) -> [String] {
        engine.state.withLock { $0.issuedAccess[provider] ?? [] }
    }

    public func issuedRefreshTokens(_ provider: FakeProvider) -> [String] {
        engine.state.withLock { $0.issuedRefresh[provider] ?? [] }
    }
}

struct FakeServerError: Error, CustomStringConvertible {
    var description: String
}

// MARK: - State

struct EndpointKey: Hashable {
    var provider: FakeProvider
    var kind: FakeEndpointKind
}

struct PendingCode: Sendable {
    var provider: FakeProvider
    var redirectURI: String
    var challenge: String
    var scopes: [String]
    var account: FakeAccount
    var deviceID: String?
    /// Google: whether the exchange returns a refresh token.
    var offline: Bool
    var expires: Date
}

struct IssuedToken: Sendable {
    enum Kind { case access, refresh }

    var kind: Kind
    var provider: FakeProvider
    var account: FakeAccount
    var scopes: [String]
    var deviceID: String?
    /// Shared by an access token and the refresh token issued with it, which are revoked and rotated together.
    var pair: Int
    var live = true
    var expired = false

    var usable: Bool { kind == .access && live && !expired }
}

struct FakeState {
    /// Set by tests; a provider without one has its default account.
    var accounts: [FakeProvider: FakeAccount] = [:]
    var codes: [String: PendingCode] = [:]
    var tokens: [String: IssuedToken] = [:]
    var issuedAccess: [FakeProvider: [String]] = [:]
    var issuedRefresh: [FakeProvider: [String]] = [:]
    /// Google remembers per account what it granted until the grant is revoked (for include_granted_scopes and
    /// for whether a consent is the first one, which alone yields a refresh token without prompt=consent).
    var googleGrants: [String: Set<String>] = [:]
    var requests: [EndpointKey: [FakeRequest]] = [:]
    var failures: [EndpointKey: FakeFailure] = [:]
    var down: Set<FakeProvider> = []
    var pairs = 0

    func account(_ provider: FakeProvider) -> FakeAccount {
        if let account = accounts[provider] { return account }
        return switch provider {
        case .google: FakeAccount(id: "100000000000000000001", email: "google.user@example.com")
        case .github: FakeAccount(id: "1000001", email: "github.user@example.com")
        case .gitlab: FakeAccount(id: "2000001", email: "gitlab.user@example.com")
        case .yandex: FakeAccount(id: "3000001", email: "yandex.user@example.com")
        }
    }

    mutating func issue(
        _ provider: FakeProvider, _ account: FakeAccount, scopes: [String], deviceID: String?, refresh: Bool, pair: Int? = nil
    ) -> (access: String, refresh: String?) {
        let pair = pair ?? next()
        let prefixes: (access: String, refresh: String) =
            switch provider {
            case .google: ("ya29.fake-", "1//fake-")
            case .github: ("gho_fake", "ghr_fake")
            case .gitlab: ("glpat-fake-", "glrt-fake-")
            case .yandex: ("y0_fake", "1:fake-")
            }
        let access = Engine.random(prefixes.access)
        tokens[access] = IssuedToken(kind: .access, provider: provider, account: account, scopes: scopes, deviceID: deviceID, pair: pair)
        issuedAccess[provider, default: []].append(access)
        guard refresh else { return (access, nil) }
        let refreshToken = Engine.random(prefixes.refresh)
        tokens[refreshToken] = IssuedToken(
            kind: .refresh, provider: provider, account: account, scopes: scopes, deviceID: deviceID, pair: pair)
        issuedRefresh[provider, default: []].append(refreshToken)
        return (access, refreshToken)
    }

    mutating func next() -> Int {
        pairs += 1
        return pairs
    }

    mutating func kill(where matches: (IssuedToken) -> Bool) {
        for (value, token) in tokens where matches(token) { tokens[value]?.live = false }
    }
}

// MARK: - Wire

enum TokenError: Error {
    case badCode, badRefresh, invalidClient, invalidRequest, redirectMismatch, unsupportedGrantType
}

/// The fake's behaviour, shared by the route handlers and the test-facing `FakeOAuthServer`.
final class Engine: Sendable {
    static let denyHeader = "x-fake-consent-deny"
    static let grantOnlyHeader = "x-fake-consent-grant-only"
    static let codeLifetime: TimeInterval = 600

    let clientID: String
    let clientSecret: String
    let state = Mutex(FakeState())

    init(clientID: String, clientSecret: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        let routes: [(FakeProvider, FakeEndpointKind, HTTPRequest.Method, String)] = [
            (.google, .authorize, .get, "/google/authorize"),
            (.google, .token, .post, "/google/token"),
            (.google, .revoke, .post, "/google/revoke"),
            (.google, .userinfo, .get, "/google/userinfo"),
            (.github, .authorize, .get, "/github/authorize"),
            (.github, .token, .post, "/github/login/oauth/access_token"),
            (.github, .revoke, .delete, "/github/applications/:client_id/grant"),
            (.github, .revoke, .delete, "/github/applications/:client_id/token"),
            (.github, .userinfo, .get, "/github/user"),
            (.github, .userinfo, .get, "/github/user/emails"),
            (.gitlab, .authorize, .get, "/gitlab/authorize"),
            (.gitlab, .token, .post, "/gitlab/oauth/token"),
            (.gitlab, .revoke, .post, "/gitlab/oauth/revoke"),
            (.gitlab, .userinfo, .get, "/gitlab/oauth/userinfo"),
            (.yandex, .authorize, .get, "/yandex/authorize"),
            (.yandex, .token, .post, "/yandex/token"),
            (.yandex, .revoke, .post, "/yandex/revoke_token"),
            (.yandex, .userinfo, .get, "/yandex/info"),
        ]
        for (provider, kind, method, path) in routes {
            router.on(RouterPath(path), method: method) { request, context in
                try await self.respond(to: request, context: context, provider, kind)
            }
        }
    }

    private func respond(
        to request: Request, context: BasicRequestContext, _ provider: FakeProvider, _ kind: FakeEndpointKind
    ) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
        }
        let isForm = headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
        let received = FakeRequest(
            method: request.method.rawValue, path: request.uri.path, query: Self.decodeForm(request.uri.query ?? ""),
            headers: headers.filter { !$0.key.hasPrefix("x-fake-consent-") },
            form: isForm ? Self.decodeForm(String(buffer: body)) : [:], json: object?.compactMapValues { $0 as? String } ?? [:])
        let key = EndpointKey(provider: provider, kind: kind)
        let (down, failure) = state.withLock { state in
            state.requests[key, default: []].append(received)
            return state.down.contains(provider) ? (true, nil) : (false, state.failures.removeValue(forKey: key))
        }
        if down { return Self.page(.serviceUnavailable, "Service Unavailable") }
        if let failure { return try await fail(failure, provider, received) }
        switch kind {
        case .authorize:
            let grantOnly = headers[Self.grantOnlyHeader].map { $0.split(separator: " ").map(String.init) }
            return authorize(received, provider, deny: headers[Self.denyHeader] != nil, grantOnly: grantOnly)
        case .token:
            return try token(received, provider)
        case .revoke:
            switch provider {
            case .google: return try googleRevoke(received)
            case .github:
                return try githubRevoke(
                    received, clientIDInPath: context.parameters.get("client_id"), wholeGrant: received.path.hasSuffix("/grant"))
            case .gitlab: return try gitlabRevoke(received)
            case .yandex: return try yandexRevoke(received)
            }
        case .userinfo:
            return try userinfo(received, provider)
        }
    }

    private func fail(_ failure: FakeFailure, _ provider: FakeProvider, _ request: FakeRequest) async throws -> Response {
        switch failure {
        case .invalidGrant:
            return try tokenError(request.form["grant_type"] == "refresh_token" ? .badRefresh : .badCode, provider, request)
        case .serverError:
            return Self.page(.internalServerError, "Internal Server Error")
        case .malformedJSON:
            return Self.text(.ok, "{not json", type: "application/json")
        case .hang:
            try await Task.sleep(for: .seconds(30))
            return Self.page(.internalServerError, "Internal Server Error")
        }
    }

    // MARK: Authorize

    private func authorize(_ request: FakeRequest, _ provider: FakeProvider, deny: Bool, grantOnly: [String]?) -> Response {
        let query = request.query
        guard query["client_id"] == clientID else { return Self.page(.badRequest, "invalid_client: the OAuth client was not found") }
        guard let redirectURI = query["redirect_uri"], let url = URL(string: redirectURI), url.scheme != nil, url.host != nil else {
            return Self.page(.badRequest, "invalid_request: redirect_uri must be an absolute URL")
        }
        guard let stateValue = query["state"], !stateValue.isEmpty else {
            return Self.page(.badRequest, "invalid_request: state is missing")
        }
        // GitHub's authorize has no response_type parameter.
        guard provider == .github || query["response_type"] == "code" else {
            return Self.page(.badRequest, "unsupported_response_type: response_type must be code")
        }
        guard let challenge = query["code_challenge"], !challenge.isEmpty, query["code_challenge_method"] == "S256" else {
            return Self.page(.badRequest, "invalid_request: PKCE with code_challenge_method=S256 is required")
        }
        let deviceID = provider == .yandex ? query["device_id"] : nil
        if let deviceID, !Self.isValidDeviceID(deviceID) {
            return Self.page(.badRequest, "invalid_request: device_id must be 6 to 50 printable ASCII characters")
        }
        guard !deny else { return Self.redirect(to: redirectURI, Self.denial(provider) + [("state", stateValue)]) }

        let separators: Set<Character> = provider == .github ? [" ", ","] : [" "]
        let requested = (query["scope"] ?? "").split(whereSeparator: { separators.contains($0) }).map(String.init)
        let chosen = grantOnly.map { only in requested.filter { only.contains($0) } } ?? requested
        let code = state.withLock { state in
            let account = state.account(provider)
            var scopes = chosen
            var offline = false
            if provider == .google {
                let earlier = state.googleGrants[account.id]
                if query["include_granted_scopes"] == "true", let earlier { scopes += earlier.subtracting(scopes).sorted() }
                let prompts = (query["prompt"] ?? "").split(separator: " ")
                offline = query["access_type"] == "offline" && (earlier == nil || prompts.contains("consent"))
                state.googleGrants[account.id, default: []].formUnion(scopes)
            }
            let code = Self.random(provider == .google ? "4/fake-" : "")
            state.codes[code] = PendingCode(
                provider: provider, redirectURI: redirectURI, challenge: challenge, scopes: scopes, account: account,
                deviceID: deviceID, offline: offline, expires: Date().addingTimeInterval(Self.codeLifetime))
            return code
        }
        return Self.redirect(to: redirectURI, [("code", code), ("state", stateValue)])
    }

    private static func denial(_ provider: FakeProvider) -> [(String, String)] {
        switch provider {
        case .google, .yandex:
            return [("error", "access_denied")]
        case .github:
            return [
                ("error", "access_denied"), ("error_description", "The user has denied your application access."),
                (
                    "error_uri",
                    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"
                ),
            ]
        case .gitlab:
            return [("error", "access_denied"), ("error_description", "The resource owner or authorization server denied the request.")]
        }
    }

    // MARK: Token

    private func token(_ request: FakeRequest, _ provider: FakeProvider) throws -> Response {
        guard request.headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return try tokenError(.invalidRequest, provider, request)
        }
        // GitHub takes the client's credentials in the form only; the others also in HTTP Basic.
        guard isClient(request, basic: provider != .github) else { return try tokenError(.invalidClient, provider, request) }
        let grantType = request.form["grant_type"]
        if grantType == "refresh_token" { return try refresh(request, provider) }
        // GitHub's code exchange has no grant_type.
        guard provider == .github || grantType == "authorization_code" else {
            return try tokenError(grantType == nil ? .invalidRequest : .unsupportedGrantType, provider, request)
        }
        let outcome = state.withLock { state -> Result<(PendingCode, String, String?), TokenError> in
            guard let value = request.form["code"], let verifier = request.form["code_verifier"],
                let code = state.codes[value], code.provider == provider, code.expires > Date()
            else { return .failure(.badCode) }
            // Yandex's token request has no redirect_uri; GitHub's may leave it out.
            let sentRedirect = request.form["redirect_uri"]
            switch provider {
            case .google, .gitlab: guard sentRedirect == code.redirectURI else { return .failure(.redirectMismatch) }
            case .github: guard sentRedirect == nil || sentRedirect == code.redirectURI else { return .failure(.redirectMismatch) }
            case .yandex: break
            }
            guard Self.challenge(of: verifier) == code.challenge else { return .failure(.badCode) }
            let deviceID = code.deviceID ?? request.form["device_id"].flatMap { Self.isValidDeviceID($0) ? $0 : nil }
            state.codes[value] = nil
            let withRefresh = provider == .google ? code.offline : provider != .github
            let tokens = state.issue(provider, code.account, scopes: code.scopes, deviceID: deviceID, refresh: withRefresh)
            return .success((code, tokens.access, tokens.refresh))
        }
        switch outcome {
        case .failure(let error):
            return try tokenError(error, provider, request)
        case .success(let (code, access, refresh)):
            return try tokenAnswer(provider, access: access, refresh: refresh, scopes: code.scopes, account: code.account, request)
        }
    }

    private func refresh(_ request: FakeRequest, _ provider: FakeProvider) throws -> Response {
        let outcome = state.withLock { state -> (IssuedToken, String, String?)? in
            guard let value = request.form["refresh_token"], let old = state.tokens[value], old.kind == .refresh,
                old.provider == provider, old.live
            else { return nil }
            if provider == .google {
                // Google keeps the refresh token and only adds an access token to the grant.
                let tokens = state.issue(provider, old.account, scopes: old.scopes, deviceID: nil, refresh: false, pair: old.pair)
                return (old, tokens.access, nil)
            }
            // GitLab and Yandex rotate: the old pair ends and a new one takes its place.
            state.kill { $0.pair == old.pair }
            let tokens = state.issue(provider, old.account, scopes: old.scopes, deviceID: old.deviceID, refresh: true)
            return (old, tokens.access, tokens.refresh)
        }
        guard let (old, access, refresh) = outcome else { return try tokenError(.badRefresh, provider, request) }
        return try tokenAnswer(provider, access: access, refresh: refresh, scopes: old.scopes, account: old.account, request)
    }

    private func tokenAnswer(
        _ provider: FakeProvider, access: String, refresh: String?, scopes: [String], account: FakeAccount, _ request: FakeRequest
    ) throws -> Response {
        var object: [String: Any]
        switch provider {
        case .google:
            object = ["access_token": access, "expires_in": 3599, "scope": scopes.joined(separator: " "), "token_type": "Bearer"]
            if scopes.contains("openid") { object["id_token"] = googleIDToken(account) }
        case .github:
            // GitHub reports the granted scopes comma-separated.
            return try githubAnswer(
                [("access_token", access), ("scope", scopes.joined(separator: ",")), ("token_type", "bearer")], request)
        case .gitlab:
            object = [
                "access_token": access, "token_type": "Bearer", "expires_in": 7200, "scope": scopes.joined(separator: " "),
                "created_at": Int(Date().timeIntervalSince1970),
            ]
        case .yandex:
            object = ["token_type": "bearer", "access_token": access, "expires_in": 31_536_000, "scope": scopes.joined(separator: " ")]
        }
        if let refresh { object["refresh_token"] = refresh }
        return try Self.json(.ok, object)
    }

    /// Shaped like Google's, but unsigned: the app is expected to ask userinfo rather than trust it.
    private func googleIDToken(_ account: FakeAccount) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": "https://accounts.google.com", "aud": clientID, "sub": account.id, "email": account.email,
            "email_verified": account.emailVerified, "iat": now, "exp": now + 3600,
        ]
        let header = (try? JSONSerialization.data(withJSONObject: ["alg": "RS256", "kid": "fake", "typ": "JWT"])) ?? Data()
        let payload = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Self.base64URL(header) + "." + Self.base64URL(payload) + ".fake-signature"
    }

    private func tokenError(_ error: TokenError, _ provider: FakeProvider, _ request: FakeRequest) throws -> Response {
        switch provider {
        case .google:
            let (status, code, description): (HTTPResponse.Status, String, String) =
                switch error {
                case .badCode: (.badRequest, "invalid_grant", "Bad Request")
                case .badRefresh: (.badRequest, "invalid_grant", "Token has been expired or revoked.")
                case .invalidClient: (.unauthorized, "invalid_client", "Unauthorized")
                case .invalidRequest: (.badRequest, "invalid_request", "Bad Request")
                case .redirectMismatch: (.badRequest, "redirect_uri_mismatch", "Bad Request")
                case .unsupportedGrantType: (.badRequest, "unsupported_grant_type", "Invalid grant_type")
                }
            return try Self.json(status, ["error": code, "error_description": description])
        case .github:
            // GitHub answers its token errors with HTTP 200; only a request it cannot read gets a 400.
            let docs = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
            let (code, description, anchor) =
                switch error {
                case .badCode: ("bad_verification_code", "The code passed is incorrect or expired.", "#bad-verification-code")
                case .badRefresh: ("bad_refresh_token", "The refresh token passed is incorrect or expired.", "#bad-refresh-token")
                case .invalidClient:
                    (
                        "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.",
                        "#incorrect-client-credentials"
                    )
                case .redirectMismatch:
                    ("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", "")
                case .invalidRequest, .unsupportedGrantType:
                    ("unsupported_grant_type", "The request must be a form-encoded POST.", "")
                }
            let status: HTTPResponse.Status = error == .invalidRequest ? .badRequest : .ok
            return try githubAnswer(
                [("error", code), ("error_description", description), ("error_uri", docs + anchor)], request, status: status)
        case .gitlab:
            let (status, code, description): (HTTPResponse.Status, String, String) =
                switch error {
                case .badCode, .badRefresh, .redirectMismatch:
                    (
                        .badRequest, "invalid_grant",
                        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in "
                            + "the authorization request, or was issued to another client."
                    )
                case .invalidClient:
                    (
                        .unauthorized, "invalid_client",
                        "Client authentication failed due to unknown client, no client authentication included, or unsupported "
                            + "authentication method."
                    )
                case .invalidRequest:
                    (
                        .badRequest, "invalid_request",
                        "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed."
                    )
                case .unsupportedGrantType:
                    (.badRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
                }
            return try Self.json(status, ["error": code, "error_description": description])
        case .yandex:
            let (status, code, description): (HTTPResponse.Status, String, String) =
                switch error {
                case .badCode, .redirectMismatch: (.badRequest, "invalid_grant", "Code has expired")
                case .badRefresh: (.badRequest, "invalid_grant", "Invalid refresh token")
                case .invalidClient: (.unauthorized, "invalid_client", "Client not found")
                case .invalidRequest: (.badRequest, "invalid_request", "Invalid request")
                case .unsupportedGrantType: (.badRequest, "unsupported_grant_type", "Unsupported grant type")
                }
            return try Self.json(status, ["error": code, "error_description": description])
        }
    }

    /// GitHub's token endpoint answers form-encoded unless the request's Accept asks for JSON.
    private func githubAnswer(_ fields: [(String, String)], _ request: FakeRequest, status: HTTPResponse.Status = .ok) throws -> Response {
        if request.headers["accept"]?.lowercased().contains("application/json") == true {
            return try Self.json(status, Dictionary(fields, uniquingKeysWith: { first, _ in first }))
        }
        return Self.text(status, Self.encodeForm(fields), type: "application/x-www-form-urlencoded; charset=utf-8")
    }

    // MARK: Revoke

    /// Revoking either token ends the whole grant, and Google forgets what the account granted.
    private func googleRevoke(_ request: FakeRequest) throws -> Response {
        let revoked = state.withLock { state in
            guard let value = request.form["token"] ?? request.query["token"], let token = state.tokens[value],
                token.provider == .google, token.live
            else { return false }
            state.kill { $0.provider == .google && $0.account.id == token.account.id }
            state.googleGrants[token.account.id] = nil
            return true
        }
        guard revoked else {
            return try Self.json(.badRequest, ["error": "invalid_token", "error_description": "Token expired or revoked"])
        }
        return try Self.json(.ok, [String: Any]())
    }

    /// `/grant` ends every token of the account for this app; `/token` only the one sent.
    private func githubRevoke(_ request: FakeRequest, clientIDInPath: String?, wholeGrant: Bool) throws -> Response {
        let docs = "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-" + (wholeGrant ? "authorization" : "token")
        guard request.headers["user-agent"] != nil else { return Self.missingUserAgent() }
        // GitHub hides the app from a caller that cannot authenticate as it.
        guard clientIDInPath == clientID, basicCredentials(request).map({ $0 == (clientID, clientSecret) }) == true else {
            return try Self.json(.notFound, ["message": "Not Found", "documentation_url": docs, "status": "404"])
        }
        let revoked = state.withLock { state in
            guard let value = request.json["access_token"], let token = state.tokens[value], token.provider == .github,
                token.kind == .access, token.live
            else { return false }
            if wholeGrant {
                state.kill { $0.provider == .github && $0.account.id == token.account.id }
            } else {
                state.tokens[value]?.live = false
            }
            return true
        }
        guard revoked else {
            return try Self.json(.unprocessableContent, ["message": "Validation Failed", "documentation_url": docs, "status": "422"])
        }
        return Response(status: .noContent)
    }

    /// Doorkeeper (RFC 7009): an unknown token is "revoked" too; a known one ends with the token issued with it.
    private func gitlabRevoke(_ request: FakeRequest) throws -> Response {
        let authenticated = isClient(request, basic: true)
        let refused = state.withLock { state in
            guard let value = request.form["token"], let token = state.tokens[value], token.provider == .gitlab else { return false }
            guard authenticated else { return true }
            state.kill { $0.pair == token.pair }
            return false
        }
        guard !refused else {
            return try Self.json(
                .forbidden, ["error": "unauthorized_client", "error_description": "You are not authorized to revoke this token"])
        }
        return try Self.json(.ok, [String: Any]())
    }

    /// Yandex revokes only tokens issued for a device (with device_id); the refresh token goes with its access token.
    private func yandexRevoke(_ request: FakeRequest) throws -> Response {
        guard isClient(request, basic: true) else { return try Self.json(.unauthorized, ["error": "invalid_client"]) }
        let error = state.withLock { state -> (String, String)? in
            guard let value = request.form["access_token"], let token = state.tokens[value], token.provider == .yandex,
                token.kind == .access, token.live
            else { return ("invalid_token", "Invalid token") }
            guard token.deviceID != nil else { return ("unsupported_token_type", "Token was not issued for a device") }
            state.kill { $0.pair == token.pair }
            return nil
        }
        if let (code, description) = error { return try Self.json(.badRequest, ["error": code, "error_description": description]) }
        return try Self.json(.ok, ["status": "ok"])
    }

    // MARK: Userinfo

    private func userinfo(_ request: FakeRequest, _ provider: FakeProvider) throws -> Response {
        switch provider {
        case .google:
            guard let token = usableToken(Self.credential(request, scheme: "Bearer"), .google) else {
                return try Self.json(
                    .unauthorized, ["error": "invalid_token", "error_description": "Invalid Credentials"],
                    headers: [.wwwAuthenticate: "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""])
            }
            let account = token.account
            return try Self.json(
                .ok,
                [
                    "sub": account.id, "email": account.email, "email_verified": account.emailVerified, "name": account.name,
                    "picture": "https://example.invalid/p.png",
                ])
        case .github:
            guard request.headers["user-agent"] != nil else { return Self.missingUserAgent() }
            let value = Self.credential(request, scheme: "Bearer") ?? Self.credential(request, scheme: "token")
            guard let token = usableToken(value, .github) else {
                return try Self.json(
                    .unauthorized, ["message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"])
            }
            let account = token.account
            let headers: HTTPFields = [.init("X-OAuth-Scopes")!: token.scopes.joined(separator: ", ")]
            if request.path.hasSuffix("/emails") {
                let email: [String: Any] = [
                    "email": account.email, "primary": true, "verified": account.emailVerified, "visibility": "private",
                ]
                return try Self.json(.ok, [email], headers: headers)
            }
            // The profile shows only a public email; the fake makes the verified one public.
            let object: [String: Any] = [
                "id": Int(account.id) ?? 0, "login": account.login, "name": account.name,
                "email": account.emailVerified ? account.email : NSNull(),
            ]
            return try Self.json(.ok, object, headers: headers)
        case .gitlab:
            let value = Self.credential(request, scheme: "Bearer")
            let token = value.flatMap { value in state.withLock { $0.tokens[value] } }
            guard let token, token.provider == .gitlab, token.usable else {
                let description =
                    switch token {
                    case .some(let token) where token.kind == .access && token.live: "The access token expired"
                    case .some(let token) where token.kind == .access: "The access token was revoked"
                    default: "The access token is invalid"
                    }
                return try Self.json(
                    .unauthorized, ["error": "invalid_token", "error_description": description],
                    headers: [
                        .wwwAuthenticate: "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"\(description)\""
                    ])
            }
            let account = token.account
            return try Self.json(
                .ok,
                [
                    "sub": account.id, "email": account.email, "email_verified": account.emailVerified, "name": account.name,
                    "nickname": account.login, "preferred_username": account.login,
                ])
        case .yandex:
            guard request.query["format"] == nil || request.query["format"] == "json" else {
                return Self.text(.badRequest, "the fake speaks format=json only", type: "text/plain; charset=utf-8")
            }
            // login.yandex.ru wants `Authorization: OAuth <token>`, not Bearer.
            guard let token = usableToken(Self.credential(request, scheme: "OAuth"), .yandex) else {
                return Self.text(.unauthorized, "401 Unauthorized", type: "text/plain; charset=utf-8")
            }
            let account = token.account
            return try Self.json(
                .ok,
                [
                    "id": account.id, "login": account.login, "client_id": clientID, "display_name": account.login,
                    "real_name": account.name, "default_email": account.email, "emails": [account.email], "psuid": "fake-" + account.id,
                ])
        }
    }

    private func usableToken(_ value: String?, _ provider: FakeProvider) -> IssuedToken? {
        guard let value else { return nil }
        return state.withLock { $0.tokens[value] }.flatMap { $0.provider == provider && $0.usable ? $0 : nil }
    }

    // MARK: Helpers

    private func isClient(_ request: FakeRequest, basic: Bool) -> Bool {
        // As at Yandex, credentials in an Authorization header win over those in the body.
        if basic, let credentials = basicCredentials(request) { return credentials == (clientID, clientSecret) }
        return request.form["client_id"] == clientID && request.form["client_secret"] == clientSecret
    }

    private func basicCredentials(_ request: FakeRequest) -> (String, String)? {
        guard let encoded = Self.credential(request, scheme: "Basic"), let data = Data(base64Encoded: encoded),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The credentials of an `Authorization: <scheme> <credentials>` header.
    static func credential(_ request: FakeRequest, scheme: String) -> String? {
        guard let header = request.headers["authorization"], let space = header.firstIndex(of: " "),
            header[..<space].caseInsensitiveCompare(scheme) == .orderedSame
        else { return nil }
        let value = header[space...].trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }

    static func missingUserAgent() -> Response {
        text(
            .forbidden,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
                + "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
            type: "text/plain; charset=utf-8")
    }

    static func isValidDeviceID(_ value: String) -> Bool {
        (6...50).contains(value.count) && value.unicodeScalars.allSatisfy { (32...126).contains($0.value) }
    }

    static func challenge(of verifier: String) -> String {
        base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func random(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + (0..<3).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
    }

    static func redirect(to uri: String, _ parameters: [(String, String)]) -> Response {
        let location = uri + (uri.contains("?") ? "&" : "?") + encodeForm(parameters)
        return Response(status: .found, headers: [.location: location])
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encodeForm(_ fields: [(String, String)]) -> String {
        fields.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "") + "="
                + (value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        }.joined(separator: "&")
    }

    /// application/x-www-form-urlencoded (also a query string); the first of repeated names wins.
    static func decodeForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            if fields[parts[0]] == nil { fields[parts[0]] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    static func json(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields = [:]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String, type: String) -> Response {
        Response(status: status, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func page(_ status: HTTPResponse.Status, _ message: String) -> Response {
        text(
            status, "<!doctype html><html><head><title>\(message)</title></head><body><h1>\(message)</h1></body></html>", type: "text/html")
    }
}
