import Hummingbird

/// Refuses a declared body over the limit before reading any of it.
///
/// Bodies without a length (chunked) are bounded where they are collected,
/// by `RequestContext.maxUploadSize`.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength], let length = Int(declared), length > limit {
            throw HTTPError(.contentTooLarge, message: "The request body is larger than \(limit / 1024) KiB.")
        }
        return try await next(request, context)
    }
}
