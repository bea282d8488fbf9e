import Hummingbird

/// Headers every response carries, error pages and static files included.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Only our own origin: no inline script or style, no framing, no plugins.
    static var contentSecurityPolicy: String {
        [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
            "font-src 'self'", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'",
            "base-uri 'none'", "object-src 'none'",
        ].joined(separator: "; ")
    }

    let strictTransportSecurity: Bool

    public init(strictTransportSecurity: Bool) {
        self.strictTransportSecurity = strictTransportSecurity
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        response.headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        if strictTransportSecurity {
            response.headers[.strictTransportSecurity] = "max-age=63072000; includeSubDomains"
        }
        // Pages may show personal data: no shared or browser caching unless a route opts in.
        if response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}
