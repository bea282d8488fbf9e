import GatewayCore
import HTTPTypes
import Hummingbird

/// Sets the request's client address once, for every limit and audit entry after it: the TCP
/// peer's, or, behind a trusted proxy, the one its `X-Forwarded-For` names.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = ConsoleRequestContext
    let trusted: TrustedProxies

    public init(trusted: TrustedProxies) {
        self.trusted = trusted
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty else { return try await next(request, context) }
        var context = context
        context.clientIP = trusted.clientAddress(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
