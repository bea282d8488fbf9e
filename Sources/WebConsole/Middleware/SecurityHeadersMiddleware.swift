import Hummingbird

/// Headers every response carries, error pages and static files included.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Only our own origin: no inline script or style, no framing, no plugins. Forms may also lead
    /// to the configured providers' consent pages, because browsers apply `form-action` to the
    /// redirect that follows a post.
    static func contentSecurityPolicy(formTargets: [String]) -> String {
        [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
            "font-src 'self'", "connect-src 'self'", (["form-action 'self'"] + formTargets).joined(separator: " "),
            "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
        ].joined(separator: "; ")
    }

    let strictTransportSecurity: Bool
    let contentSecurityPolicy: String

    public init(strictTransportSecurity: Bool, formTargets: [String] = []) {
        self.strictTransportSecurity = strictTransportSecurity
        self.contentSecurityPolicy = Self.contentSecurityPolicy(formTargets: formTargets)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // The API's errors (OpenAI's JSON) are thrown past this middleware: render them here so they carry the headers too.
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
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
