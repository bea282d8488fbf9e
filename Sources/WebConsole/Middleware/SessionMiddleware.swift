import GatewayCore
import Hummingbird

/// Resolves the session cookie into `context.identity` (user, companies, active tenant), once
/// per request, and the one-time flash message. Anonymous visitors get a double-submit CSRF token.
public struct SessionMiddleware: RouterMiddleware {
    public typealias Context = ConsoleRequestContext

    let identities: IdentityResolver
    let cookies: CookieSettings
    let apiPrefix: String

    public init(identities: IdentityResolver, cookies: CookieSettings, apiPrefix: String) {
        self.identities = identities
        self.cookies = cookies
        self.apiPrefix = apiPrefix
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix(apiPrefix) { return try await next(request, context) }
        var context = context
        // By name, so that a later decision about a cookie replaces an earlier one.
        var setCookies: [String: Cookie] = [:]
        func set(_ cookie: Cookie) { setCookies[cookie.name] = cookie }

        if let code = request.cookies[cookies.flashName]?.value {
            context.flash = Flash(rawValue: code)
            set(cookies.expired(cookies.flashName))
        }
        let sessionToken = request.cookies[cookies.sessionName]?.value
        if let sessionToken, !sessionToken.isEmpty {
            context.identity = try await identities.resolve(token: sessionToken)
            if context.identity == nil {
                // Ended by timeout, sign-out elsewhere or a password change: say so on the next page.
                set(cookies.expired(cookies.sessionName))
                set(cookies.flash(.sessionEnded))
            }
        }
        if let identity = context.identity {
            context.csrfToken = identity.session.csrfToken
        } else if let existing = request.cookies[cookies.csrfName]?.value, SecretToken(existing).isWellFormed {
            context.csrfToken = existing
        } else {
            context.csrfToken = SecretToken().value
            set(cookies.csrf(context.csrfToken))
        }

        var response = try await next(request, context)
        let alreadySet = Set(response.headers[values: .setCookie].compactMap { $0.split(separator: "=").first.map(String.init) })
        for cookie in setCookies.values where !alreadySet.contains(cookie.name) {
            response.setCookie(cookie)
        }
        return response
    }
}
