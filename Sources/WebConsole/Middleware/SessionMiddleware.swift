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
        var setCookies: [Cookie] = []

        let sessionToken = request.cookies[cookies.sessionName]?.value
        if let sessionToken, !sessionToken.isEmpty {
            context.identity = try await identities.resolve(token: sessionToken)
            if context.identity == nil { setCookies.append(cookies.expired(cookies.sessionName)) }
        }
        if let identity = context.identity {
            context.csrfToken = identity.session.csrfToken
        } else if let existing = request.cookies[cookies.csrfName]?.value, SecretToken(existing).isWellFormed {
            context.csrfToken = existing
        } else {
            context.csrfToken = SecretToken().value
            setCookies.append(cookies.csrf(context.csrfToken))
        }
        if let code = request.cookies[cookies.flashName]?.value {
            context.flash = Flash(rawValue: code)
            setCookies.append(cookies.expired(cookies.flashName))
        }

        var response = try await next(request, context)
        let alreadySet = Set(response.headers[values: .setCookie].compactMap { $0.split(separator: "=").first.map(String.init) })
        for cookie in setCookies where !alreadySet.contains(cookie.name) {
            response.setCookie(cookie)
        }
        return response
    }
}
