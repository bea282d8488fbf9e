import Hummingbird

/// Refuses a declared body over the limit before reading any of it.
///
/// Bodies without a length (chunked) are bounded where they are collected,
/// by `RequestContext.maxUploadSize`. Paths under `apiPrefix` are left to the API, which
/// refuses its bodies over the limit in OpenAI's error shape where it collects them.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    let apiPrefix: String

    public init(limit: Int, apiPrefix: String) {
        self.limit = limit
        self.apiPrefix = apiPrefix
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !request.uri.path.hasPrefix(apiPrefix), let declared = request.headers[.contentLength], let length = Int(declared),
            length > limit
        {
            throw HTTPError(.contentTooLarge, message: "The request body is larger than \(limit / 1024) KiB.")
        }
        return try await next(request, context)
    }
}
