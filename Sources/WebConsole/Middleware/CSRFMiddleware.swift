import Crypto
import Foundation
import Hummingbird

/// Every state-changing console request must come from our own pages: the browser's
/// `Sec-Fetch-Site` / `Origin` must not name another site, and the form's `_csrf` field
/// (or an `X-CSRF-Token` header) must equal the token of this session. Otherwise 403,
/// before any handler runs. The form is read here once and handed on in the context.
public struct CSRFMiddleware: RouterMiddleware {
    public typealias Context = ConsoleRequestContext

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    let allowedOrigins: Set<String>
    let apiPrefix: String

    public init(baseURL: String, apiPrefix: String) {
        self.allowedOrigins = Self.allowedOrigins(for: baseURL)
        self.apiPrefix = apiPrefix
    }

    /// The base URL's origin; for a `localhost` base URL also its other loopback spellings,
    /// so that a developer who opens http://127.0.0.1:8080 can use the forms too.
    static func allowedOrigins(for baseURL: String) -> Set<String> {
        let origin = Self.origin(of: baseURL)
        guard let components = URLComponents(string: origin), components.host == "localhost", let scheme = components.scheme else {
            return [origin]
        }
        let port = components.port.map { ":\($0)" } ?? ""
        return [origin, "\(scheme)://127.0.0.1\(port)", "\(scheme)://[::1]\(port)"]
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.safeMethods.contains(request.method) || request.uri.path.hasPrefix(apiPrefix) {
            return try await next(request, context)
        }
        if let site = request.headers[.secFetchSite], !["same-origin", "none"].contains(site) {
            throw HTTPError(.forbidden, message: "This form was sent from another site and was refused.")
        }
        if let origin = request.headers[.origin], origin != "null", !allowedOrigins.contains(Self.origin(of: origin)) {
            throw HTTPError(.forbidden, message: "This form was sent from another site and was refused.")
        }

        var request = request
        var context = context
        let isForm = request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        if isForm {
            context.form = try FormFields.parse(String(buffer: body))
        } else if body.readableBytes > 0 {
            throw HTTPError(.unsupportedMediaType, message: "Forms must be sent as application/x-www-form-urlencoded.")
        }
        let sent = request.headers[.xCSRFToken] ?? context.form["_csrf"] ?? ""
        guard !context.csrfToken.isEmpty, Self.constantTimeEqual(sent, context.csrfToken) else {
            throw HTTPError(
                .forbidden, message: "This form has expired or did not come from this site. Go back, reload the page and try again.")
        }
        return try await next(request, context)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        // Comparing digests keeps the time independent of where the strings differ.
        let left = SHA256.hash(data: Data(a.utf8))
        let right = SHA256.hash(data: Data(b.utf8))
        return zip(left, right).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased()
        else { return url }
        let defaultPort = scheme == "https" ? 443 : 80
        return components.port.map { $0 == defaultPort ? "\(scheme)://\(host)" : "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
