import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Tokens a provider issued.
public struct TokenGrant: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String?
    public var expiresAt: Date?
    /// As the provider reports them (a member may untick some), or nil when it does not say.
    public var scopes: [String]?
}

/// Whose account a token belongs to, as the provider's identity endpoint says.
public struct ProviderAccount: Sendable, Equatable {
    /// The provider's stable id of the account (never the email, which can change).
    public var id: String
    public var email: String?
    public var emailVerified: Bool
    public var name: String?
    public var login: String?

    /// What the console shows for the account.
    public var label: String { email ?? login ?? id }
}

/// Speaks OAuth 2.0 to the providers of the catalog, over async-http-client. Every call has a
/// deadline, follows no redirects, and reads at most 1 MiB; endpoints come only from configuration.
public struct OAuthClient: Sendable {
    static let maxResponseBytes = 1024 * 1024

    let http: HTTPClient
    let timeout: Duration
    let logger: Logger

    public init(http: HTTPClient, timeout: Duration, logger: Logger) {
        self.http = http
        self.timeout = timeout
        self.logger = logger
    }

    /// An HTTP client for outside services: no redirects (a provider never needs one here).
    public static func makeHTTPClient(timeout: Duration) -> HTTPClient {
        let seconds = Int64(timeout.components.seconds)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(min(5, seconds)), read: .seconds(seconds)))
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The URL that sends the browser to the provider's consent screen.
    public func authorizeURL(
        _ provider: ConfiguredProvider, redirectURI: String, state: String, scopes: [String], pkce: PKCE?, deviceID: String?,
        parameters: [(String, String)] = []
    ) throws(OAuthError) -> String {
        guard let credentials = provider.credentials else { throw .notConfigured }
        var items: [(String, String)] = [
            ("client_id", credentials.clientID), ("redirect_uri", redirectURI), ("response_type", "code"), ("state", state),
        ]
        if !scopes.isEmpty { items.append(("scope", scopes.joined(separator: provider.definition.scopeSeparator))) }
        if let pkce { items += [("code_challenge", pkce.challenge), ("code_challenge_method", "S256")] }
        if let deviceID { items.append(("device_id", deviceID)) }
        items += parameters
        let separator = provider.endpoints.authorize.contains("?") ? "&" : "?"
        return provider.endpoints.authorize + separator + FormEncoding.encode(items)
    }

    /// Exchanges an authorization code for tokens.
    public func exchange(
        _ provider: ConfiguredProvider, code: String, redirectURI: String, verifier: String?, deviceID: String?
    ) async throws(OAuthError) -> TokenGrant {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI)]
        if let verifier { form.append(("code_verifier", verifier)) }
        if let deviceID { form.append(("device_id", deviceID)) }
        return try await tokenRequest(provider, form: form)
    }

    /// Renews an access token; rotating providers return a new refresh token too.
    public func refresh(_ provider: ConfiguredProvider, refreshToken: String) async throws(OAuthError) -> TokenGrant {
        try await tokenRequest(provider, form: [("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    /// Takes the grant back at the provider, where it offers revocation.
    public func revoke(_ provider: ConfiguredProvider, accessToken: String, refreshToken: String?) async throws(OAuthError) {
        guard let credentials = provider.credentials else { throw .notConfigured }
        let client = [("client_id", credentials.clientID), ("client_secret", credentials.clientSecret)]
        switch provider.definition.revocation {
        case .tokenForm(let authenticated):
            // Revoking the refresh token ends the whole grant; the access token alone may not.
            let form = [("token", refreshToken ?? accessToken)] + (authenticated ? client : [])
            let response = try await send(.POST, provider.endpoints.revoke, headers: Self.formHeaders, body: FormEncoding.encode(form))
            guard (200..<300).contains(response.status) else { throw Self.error(from: response) }
        case .githubToken:
            let url = provider.endpoints.revoke + "/" + FormEncoding.escape(credentials.clientID) + "/token"
            let body = (try? JSONSerialization.data(withJSONObject: ["access_token": accessToken])) ?? Data()
            var headers = Self.githubHeaders
            headers.add(name: "Authorization", value: Self.basic(credentials))
            headers.add(name: "Content-Type", value: "application/json")
            let response = try await send(.DELETE, url, headers: headers, body: String(decoding: body, as: UTF8.self))
            guard (200..<300).contains(response.status) else { throw Self.error(from: response) }
        case .yandexDevice:
            let form = [("access_token", accessToken)] + client
            let response = try await send(.POST, provider.endpoints.revoke, headers: Self.formHeaders, body: FormEncoding.encode(form))
            guard (200..<300).contains(response.status) else { throw Self.error(from: response) }
        }
    }

    /// Asks the provider whose account the token belongs to (a harmless read).
    public func account(_ provider: ConfiguredProvider, accessToken: String) async throws(OAuthError) -> ProviderAccount {
        switch provider.definition.identityFormat {
        case .openIDConnect:
            let json = try await getJSON(provider.endpoints.userinfo, headers: ["Authorization": "Bearer \(accessToken)"])
            guard let object = json as? [String: Any], let id = Self.string(object["sub"]) else { throw .malformedResponse }
            return ProviderAccount(
                id: id, email: Self.string(object["email"]), emailVerified: object["email_verified"] as? Bool ?? false,
                name: Self.string(object["name"]), login: Self.string(object["nickname"]))
        case .github:
            let auth = ["Authorization": "Bearer \(accessToken)"]
            let json = try await getJSON(provider.endpoints.userinfo, headers: auth, github: true)
            guard let object = json as? [String: Any], let id = Self.string(object["id"]) else { throw .malformedResponse }
            // The profile's email is only the public one; the verified primary address is at /user/emails.
            let emails = try await getJSON(provider.endpoints.userinfo + "/emails", headers: auth, github: true) as? [[String: Any]] ?? []
            let primary = emails.first { $0["primary"] as? Bool == true }
            return ProviderAccount(
                id: id, email: Self.string(primary?["email"]) ?? Self.string(object["email"]),
                emailVerified: primary?["verified"] as? Bool ?? false, name: Self.string(object["name"]),
                login: Self.string(object["login"]))
        case .yandex:
            let json = try await getJSON(provider.endpoints.userinfo + "?format=json", headers: ["Authorization": "OAuth \(accessToken)"])
            guard let object = json as? [String: Any], let id = Self.string(object["id"]) else { throw .malformedResponse }
            // Yandex verifies the addresses it lists for an account.
            let email = Self.string(object["default_email"])
            return ProviderAccount(
                id: id, email: email, emailVerified: email != nil, name: Self.string(object["real_name"]),
                login: Self.string(object["login"]))
        }
    }

    // MARK: - Wire

    private func tokenRequest(_ provider: ConfiguredProvider, form: [(String, String)]) async throws(OAuthError) -> TokenGrant {
        guard let credentials = provider.credentials else { throw .notConfigured }
        let body = FormEncoding.encode(form + [("client_id", credentials.clientID), ("client_secret", credentials.clientSecret)])
        // GitHub answers form-encoded unless asked for JSON.
        let response = try await send(.POST, provider.endpoints.token, headers: Self.formHeaders, body: body)
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            if response.status >= 500 { throw .unavailable }
            throw .malformedResponse
        }
        // GitHub reports errors with status 200 and an `error` field.
        if object["error"] != nil || !(200..<300).contains(response.status) { throw Self.error(from: response) }
        guard let accessToken = Self.string(object["access_token"]), !accessToken.isEmpty else { throw .malformedResponse }
        let expiresIn = (object["expires_in"] as? NSNumber)?.doubleValue ?? (Self.string(object["expires_in"]).flatMap(Double.init))
        return TokenGrant(
            accessToken: accessToken,
            refreshToken: Self.string(object["refresh_token"]).flatMap { $0.isEmpty ? nil : $0 },
            expiresAt: expiresIn.map { Date().addingTimeInterval($0) },
            scopes: Self.string(object["scope"]).map { Self.scopes($0) })
    }

    private func getJSON(_ url: String, headers: [String: String], github: Bool = false) async throws(OAuthError) -> Any {
        var all = github ? Self.githubHeaders : HTTPHeaders([("Accept", "application/json")])
        for (name, value) in headers { all.add(name: name, value: value) }
        let response = try await send(.GET, url, headers: all, body: nil)
        switch response.status {
        case 200..<300: break
        case 401: throw .tokenRejected
        // 403 is also a rate limit (GitHub) or a missing scope (Google): not a reason to drop the connection.
        case 403, 429, 500...: throw .unavailable
        default: throw Self.error(from: response)
        }
        guard let json = try? JSONSerialization.jsonObject(with: response.body) else { throw .malformedResponse }
        return json
    }

    struct WireResponse {
        var status: Int
        var body: Data
    }

    private func send(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders, body: String?) async throws(OAuthError) -> WireResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
            if response.status == .serviceUnavailable || response.status == .badGateway { throw OAuthError.unavailable }
            return WireResponse(status: Int(response.status.code), body: Data(buffer: bytes))
        } catch let error as OAuthError {
            throw error
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            logger.warning("OAuth provider timed out", metadata: ["host": "\(request.url.hostPart)", "error": "\(error)"])
            throw .timedOut
        } catch {
            // Only the host is logged: URLs of these calls may carry nothing secret, but headers and bodies do.
            logger.warning("OAuth provider unreachable", metadata: ["host": "\(request.url.hostPart)", "error": "\(type(of: error))"])
            throw .unavailable
        }
    }

    static func error(from response: WireResponse) -> OAuthError {
        if response.status >= 500 { return .unavailable }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        let code = OAuthError.code(string(object?["error"]))
        switch code {
        // GitHub names an unusable code `bad_verification_code`.
        case "invalid_grant", "bad_verification_code", "bad_refresh_token": return .invalidGrant
        case "unknown_error": return object == nil ? .malformedResponse : .rejected(code: "http_\(response.status)")
        default: return .rejected(code: code)
        }
    }

    static let formHeaders = HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")])
    /// api.github.com refuses requests without a User-Agent.
    static let githubHeaders = HTTPHeaders([
        ("Accept", "application/vnd.github+json"), ("User-Agent", "OAG"), ("X-GitHub-Api-Version", "2022-11-28"),
    ])

    static func basic(_ credentials: OAuthClientCredentials) -> String {
        "Basic " + Data("\(credentials.clientID):\(credentials.clientSecret)".utf8).base64EncodedString()
    }

    /// Space- or comma-separated (GitHub reports `read:user,user:email`).
    static func scopes(_ raw: String) -> [String] {
        raw.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
    }

    /// A JSON string, or a number as text (GitHub's ids are numbers).
    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }
}

extension String {
    /// `https://host:port` of a URL, for logs that must not carry paths or queries.
    var hostPart: String {
        guard let url = URL(string: self), let host = url.host else { return "?" }
        return host + (url.port.map { ":\($0)" } ?? "")
    }
}

/// application/x-www-form-urlencoded, as OAuth sends it.
public enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func encode(_ items: [(String, String)]) -> String {
        items.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
